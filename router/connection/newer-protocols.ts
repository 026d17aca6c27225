// Day-one versions: logins with a protocol newer than the newest known release. The policy
// (`[protocol]` in passage.toml) decides whether they are served; this class also remembers which
// newer protocols were seen, for /status, for the one log line per protocol and for metric labels.
import type { Logger } from 'pino';
import type { PassageConfig } from '../config/schema.ts';
import { NEWEST_PROTOCOL, NEWEST_VERSION_NAME, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';

/**
 * Distinct newer protocols remembered for the life of the process. A handshake's protocol is any
 * number a client cares to send, so past this many they are counted together as `other`: the log,
 * /status and the metric labels stay bounded.
 */
export const MAX_TRACKED_NEWER_PROTOCOLS = 32;

export type NewerProtocolPolicy = PassageConfig['protocol'];

interface Seen {
  logins: number;
  refused: number;
  readonly firstSeen: number;
}

export interface NewerProtocolsStatus {
  /** "1.20.5–26.1": the releases known to work. */
  readonly knownVersions: string;
  readonly newestKnown: number;
  readonly newer: 'accept' | 'refuse';
  /** 0: no limit. */
  readonly maxProtocol: number;
  /** Newer protocols seen in logins, oldest number first. */
  readonly unknownSeen: readonly { protocol: number; logins: number; refused: number; firstSeen: string }[];
  /** Logins with newer protocols beyond the first MAX_TRACKED_NEWER_PROTOCOLS distinct ones. */
  readonly untrackedLogins: number;
}

export class NewerProtocols {
  private readonly policy: NewerProtocolPolicy;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly seen = new Map<number, Seen>();
  private untracked = 0;

  constructor(policy: NewerProtocolPolicy, log: Logger, now: () => number = Date.now) {
    this.policy = policy;
    this.log = log;
    this.now = now;
  }

  /** Whether a login with this newer protocol is served; known protocols never ask. */
  accepts(protocol: number): boolean {
    if (this.policy.newer === 'refuse') return false;
    return this.policy.maxProtocol === 0 || protocol <= this.policy.maxProtocol;
  }

  /** Counts a login with a newer protocol; the first one of each protocol is logged at info. */
  recordLogin(protocol: number, accepted: boolean): void {
    const entry = this.seen.get(protocol);
    if (entry !== undefined) {
      entry.logins++;
      if (!accepted) entry.refused++;
      return;
    }
    if (this.seen.size >= MAX_TRACKED_NEWER_PROTOCOLS) {
      if (this.untracked++ === 0) {
        this.log.info({ protocol, tracked: MAX_TRACKED_NEWER_PROTOCOLS }, `more than ${MAX_TRACKED_NEWER_PROTOCOLS} distinct newer protocols seen: further ones are counted together as "other" and not logged`);
      }
      return;
    }
    this.seen.set(protocol, { logins: 1, refused: accepted ? 0 : 1, firstSeen: this.now() });
    const known = `newer than the newest known (${NEWEST_PROTOCOL} = ${NEWEST_VERSION_NAME})`;
    const outcome = accepted
      ? `served with the ${NEWEST_VERSION_NAME} packet layout`
      : this.policy.newer === 'refuse'
        ? 'refused ([protocol] newer = "refuse")'
        : `refused (above [protocol] max_protocol = ${this.policy.maxProtocol})`;
    this.log.info({ protocol, newestKnown: NEWEST_PROTOCOL, accepted }, `first login with protocol ${protocol}, ${known}: ${outcome}`);
  }

  /** The metric label for a newer protocol: its number while it is tracked, else `other`. */
  label(protocol: number): string {
    return this.seen.has(protocol) ? String(protocol) : 'other';
  }

  status(): NewerProtocolsStatus {
    return {
      knownVersions: SUPPORTED_RANGE_TEXT,
      newestKnown: NEWEST_PROTOCOL,
      newer: this.policy.newer,
      maxProtocol: this.policy.maxProtocol,
      unknownSeen: [...this.seen.entries()]
        .sort(([a], [b]) => a - b)
        .map(([protocol, s]) => ({ protocol, logins: s.logins, refused: s.refused, firstSeen: new Date(s.firstSeen).toISOString() })),
      untrackedLogins: this.untracked,
    };
  }
}
