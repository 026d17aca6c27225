// Java Edition protocol numbers. Transfer (and so transfer routes) needs 766 (1.20.5) or newer.
//
// KNOWN_VERSIONS is the one table of releases Passage has been tested with: adding a release is one
// line here (plus its row in test/protocol/versions.test.ts); the range named in player messages and
// the newest layout follow from it. A protocol newer than the last line is a "day-one" version: it is
// served with the newest known layout, since the few packets Passage reads and writes (Login Start,
// Encryption, Login Success, Cookie, Client Information, Keep Alive, Resource Pack, Store Cookie,
// Transfer, Disconnect) have kept their ids and layouts from 768 on.

/** Oldest first, newest last; `names` are the releases that share the protocol number. */
export const KNOWN_VERSIONS: readonly { readonly protocol: number; readonly names: readonly string[] }[] = [
  { protocol: 766, names: ['1.20.5', '1.20.6'] },
  { protocol: 767, names: ['1.21', '1.21.1'] },
  { protocol: 768, names: ['1.21.2', '1.21.3'] },
  { protocol: 769, names: ['1.21.4'] },
  { protocol: 770, names: ['1.21.5'] },
  { protocol: 771, names: ['1.21.6'] },
  { protocol: 772, names: ['1.21.7', '1.21.8'] },
  { protocol: 773, names: ['1.21.9', '1.21.10'] },
  { protocol: 774, names: ['1.21.11'] },
  { protocol: 775, names: ['26.1'] },
];

export const TRANSFER_MIN_PROTOCOL = 766;

export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map(KNOWN_VERSIONS.map((v) => [v.protocol, v.names.join('/')]));

const OLDEST = KNOWN_VERSIONS[0]!;
const NEWEST = KNOWN_VERSIONS[KNOWN_VERSIONS.length - 1]!;

export const NEWEST_PROTOCOL = NEWEST.protocol;
export const NEWEST_VERSION_NAME = NEWEST.names[NEWEST.names.length - 1]!;

/** "1.20.5–26.1", for messages that tell a player which versions are known to work. */
export const SUPPORTED_RANGE_TEXT = `${OLDEST.names[0]}–${NEWEST_VERSION_NAME}`;

/**
 * The largest protocol number a handshake can carry (a VarInt is a signed 32-bit int). Snapshots
 * use 0x40000000 + n, so this is also the bound of `[protocol] max_protocol`.
 */
export const MAX_PROTOCOL_NUMBER = 0x7fffffff;

/** `too_old`: cannot transfer; `known`: a line of KNOWN_VERSIONS; `newer`: past the newest known one. */
export type ProtocolSupport = 'too_old' | 'known' | 'newer';

export function protocolSupport(protocol: number): ProtocolSupport {
  if (protocol < TRANSFER_MIN_PROTOCOL) return 'too_old';
  return protocol > NEWEST_PROTOCOL ? 'newer' : 'known';
}

export function isKnownProtocol(protocol: number): boolean {
  return PROTOCOL_NAMES.has(protocol);
}

/**
 * The protocol whose packet layout a connection uses: its own when known, the newest known layout
 * for a newer number. Codecs take this, never the raw number, so a day-one client is read exactly
 * like the newest release.
 */
export function layoutProtocol(protocol: number): number {
  return protocol > NEWEST_PROTOCOL ? NEWEST_PROTOCOL : protocol;
}
