// Sizes fixed by the protocol. Every check that uses one reports the limit and the value seen.

/** A frame (length-prefixed packet) is at most 2^21 - 1 bytes, so its length fits a 3-byte VarInt. */
export const MAX_FRAME_BYTES = (1 << 21) - 1;
export const MAX_VARINT_BYTES = 5;
export const MAX_VARLONG_BYTES = 10;
/** The handshake's server address is a String(255). */
export const MAX_HOST_CHARS = 255;
/** Player names are String(16). */
export const MAX_USERNAME_CHARS = 16;
/** Cookie payloads are at most 5120 bytes. */
export const MAX_COOKIE_BYTES = 5120;
/** Resource identifiers (`namespace:path`) are String(32767). */
export const MAX_IDENTIFIER_CHARS = 32767;
export const MAX_STRING_CHARS = 32767;
/** The Status Response's JSON is a String(32767): vanilla clients refuse a longer one (favicon included). */
export const MAX_STATUS_JSON_CHARS = 32767;
/** Login Disconnect carries its JSON text as a String(262144). */
export const MAX_CHAT_JSON_CHARS = 262144;
/** An NBT string is prefixed with an unsigned short: at most 65,535 bytes of modified UTF-8. */
export const MAX_NBT_STRING_BYTES = 0xffff;
/** 1.4–1.6 clients read the legacy 0xFF answer with readString(256): anything longer is refused. */
export const MAX_LEGACY_KICK_CHARS = 256;
