/**
 * Lets one log line per key through per interval; the rest are counted and reported with the next
 * line. Failures a client can trigger at will (a passthrough backend that is down) must not let an
 * attacker flood the log, while the operator still learns that, and how often, they happen.
 */
export class LogThrottle {
  private readonly intervalMs: number;
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  /** Bounds memory: keys are route ids or error codes, but never trust a caller to keep them few. */
  private static readonly MAX_KEYS = 1024;

  constructor(intervalMs = 60_000) {
    this.intervalMs = intervalMs;
  }

  /** Undefined: stay quiet. Otherwise: log now, mentioning how many were suppressed since the last line. */
  admit(key: string, now = Date.now()): { suppressed: number } | undefined {
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    if (entry === undefined && this.last.size >= LogThrottle.MAX_KEYS) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    return { suppressed: entry?.suppressed ?? 0 };
  }
}
