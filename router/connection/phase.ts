// What a connection phase is, and the limits that come with entering one. This file imports nothing:
// the connection depends on this contract, the phases depend on the connection, and neither imports
// the other's implementation in a cycle.

/** The protocol state a client is in; `closed` once the connection ended or was handed to a relay. */
export type State = 'handshake' | 'status' | 'login' | 'configuration' | 'passthrough' | 'closed';

/**
 * One phase of a client connection (Velocity's session handler): it reads the frames of its state and
 * owns the fields only it needs. A phase moves the connection on with `conn.enter(next, limits)`.
 */
export interface Phase {
  /** The protocol state this phase reads: it decides how a disconnect is encoded and how errors are logged. */
  readonly state: Exclude<State, 'closed'>;
  /** One frame's body; while a returned promise is pending, the connection queues the next frames. */
  handle(body: Buffer): void | Promise<void>;
  /**
   * Bytes of the first chunk, before any framing (the legacy ping has no frames); true when the
   * phase consumed the chunk. Only the first phase is asked.
   */
  firstChunk?(chunk: Buffer): boolean;
  /** The connection entered this phase and applied its limits: start what the phase runs (timers). */
  begin?(): void;
  /** The connection leaves this phase (for the next one, or because it ended): stop what the phase started. */
  leave?(): void;
  /** The player's name, once Login Start was read (for logs). */
  readonly playerName?: string | undefined;
  /** The player's locale, once Client Information was read (for messages). */
  readonly locale?: string | undefined;
}

/** What a phase may read and how long it may take; `conn.enter` and `conn.limit` apply them. */
export interface PhaseLimits {
  /** The largest frame a client may send from now on. */
  readonly maxFrame?: number;
  /** A new deadline, in ms from now, replacing the running one; absent: the running deadline carries on. */
  readonly deadlineMs?: number;
  /** What happens at that deadline; absent: a timeout disconnect. */
  readonly onDeadline?: () => void;
}

/** Entering a phase always sets its frame limit. */
export interface EntryLimits extends PhaseLimits {
  readonly maxFrame: number;
}
