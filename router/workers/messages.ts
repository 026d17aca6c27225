// What the supervisor (the primary process of an instance with `workers > 1`) and its worker processes
// say to each other over the IPC channel of child_process.fork (serialization "advanced": structured
// clone). Both sides are this program: a message is trusted like the code, but a request still waits a
// bounded time for its answer, and no message is larger than IPC_MESSAGE_MAX_BYTES: the receiving side
// parses each message whole on its event loop, so a table crosses in pieces (table-handover.ts).

import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { PassageConfig } from '../config/schema.ts';
import type { NewerProtocolsStatus } from '../connection/newer-protocols.ts';

/**
 * The largest IPC message either side sends, serialized. child_process parses a message whole on the
 * receiver's loop (a 100,000-route table in one message: 37 MB, a second of stall in each worker).
 */
export const IPC_MESSAGE_MAX_BYTES = 256 * 1024;

/** How long the supervisor waits for a worker to answer /readyz, /metrics or /status before counting it as not answering. */
export const WORKER_REPLY_TIMEOUT_MS = 1_000;
/** How long a worker may take from fork to listening before start-up fails (or, later, it is replaced). */
export const WORKER_START_TIMEOUT_MS = 30_000;
/**
 * A worker acknowledges each piece of a table once it has taken it in (a millisecond or two); one that
 * has not within this long is stuck, and is replaced rather than left serving an older table forever.
 */
export const TABLE_ACK_TIMEOUT_MS = 30_000;

export interface WorkerInit {
  readonly type: 'init';
  /** 0 … workers-1: names the worker in logs and its fleet instance. */
  readonly index: number;
  /** The config as the worker runs it: per-instance budgets already divided (budget.ts). */
  readonly config: PassageConfig;
  readonly listen: { host: string; port: number };
  /** The supervisor holds a table and hands it over next: the worker listens once it has it. */
  readonly tableFollows: boolean;
}

/**
 * A table the supervisor verified, handed over as one transfer: `table-begin`, the pieces, `table-end`.
 * The pieces hold batches of v8-serialized values (the first batch is the table without its routes, then
 * arrays of routes); a batch ends at a piece with `endsBatch`. The worker answers each message with a
 * `table-ack` and the supervisor sends the next only then, so at most one is in flight and the worker
 * parses at most one piece per turn of its loop. A newer `table-begin` abandons the transfer before it.
 */
export type TableMessage =
  | { readonly type: 'table-begin'; readonly transfer: number; readonly tableId: string; readonly version: number; readonly routes: number }
  | { readonly type: 'table-piece'; readonly transfer: number; readonly bytes: Uint8Array; readonly endsBatch: boolean }
  | { readonly type: 'table-end'; readonly transfer: number };

export type ToWorker =
  | WorkerInit
  | TableMessage
  | { readonly type: 'drain'; readonly drainMs: number }
  | { readonly type: 'request'; readonly id: number; readonly what: 'metrics' | 'status' };

export interface WorkerStatus {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly activeConnections: number;
  readonly tableVersion: number | null;
  readonly counters: Record<string, number>;
  readonly protocols: NewerProtocolsStatus;
}

export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

export type FromWorker =
  | { readonly type: 'listening'; readonly address: { address: string; port: number }; readonly admin: { address: string; port: number } }
  /**
   * Start-up failed. `failure` is what `passage` alone would print and exit with (exit-codes.ts), absent
   * for a bug (then `message` holds the stack).
   */
  | { readonly type: 'failed'; readonly message: string; readonly failure: { exitCode: number; message: string } | undefined }
  | { readonly type: 'reply'; readonly id: number; readonly status?: WorkerStatus; readonly metrics?: WorkerMetrics }
  | { readonly type: 'drained'; readonly cut: number }
  /** A table message arrived and was taken in: send the next. */
  | { readonly type: 'table-ack'; readonly transfer: number }
  /** The worker swapped in the table of this transfer (built in slices), and serves it now. */
  | { readonly type: 'table-applied'; readonly transfer: number; readonly version: number };
