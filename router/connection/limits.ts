// Per-state frame limits: what a legitimate client can send in each state, so a peer can never make
// Passage buffer more than a few KiB before it has logged in.

/** Handshake: VarInt id + protocol + String(255 + Forge marker) + port + intent. */
export const MAX_HANDSHAKE_FRAME = 1100;
/** Status request (1 byte) or ping (9 bytes). */
export const MAX_STATUS_FRAME = 32;
/**
 * Login Start, the first login frame: String(16) name + UUID is under 100 bytes; 1.19–1.19.2 clients
 * on passthrough routes add a signed public key (≈ 300 + 512 bytes). Larger frames wait for Login Start.
 */
export const MAX_LOGIN_START_FRAME = 2048;
/** Login Start, Encryption Response (2 × ≤ 256 bytes), Cookie Response (≤ 5120-byte payload). */
export const MAX_LOGIN_FRAME = 6 * 1024;
/** Client Information, plugin messages (brand), cookie and resource-pack responses. */
export const MAX_CONFIGURATION_FRAME = 40 * 1024;
/** Frames queued while an async step (session server) runs; a client that keeps sending is broken. */
export const MAX_QUEUED_FRAMES = 16;
/** After we end a connection, how long a peer that does not close its side keeps its socket. */
export const CLOSE_LINGER_MS = 1000;
/** After Transfer, the client closes on its own; this bounds how long we wait for it. */
export const TRANSFER_CLOSE_GRACE_MS = 5000;
