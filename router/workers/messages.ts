// What the supervisor (the primary process of an instance with `workers > 1`) and its worker processes
// say to each other over the IPC channel of child_process.fork (serialization "advanced": structured
// clone, so a RoutingTable crosses as it is). Both sides are this program: a message is trusted like
// the code, but a request still waits a bounded time for its answer.

import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { PassageConfig } from '../config/schema.ts';
import type { NewerProtocolsStatus } from '../connection/newer-protocols.ts';
import type { RoutingTable } from '../table/types.ts';

/** How long the supervisor waits for a worker to answer /readyz, /metrics or /status before counting it as not answering. */
export const WORKER_REPLY_TIMEOUT_MS = 1_000;
/** How long a worker may take from fork to listening before start-up fails (or, later, it is replaced). */
export const WORKER_START_TIMEOUT_MS = 30_000;

export interface WorkerInit {
  readonly type: 'init';
  /** 0 … workers-1: names the worker in logs and its fleet instance. */
  readonly index: number;
  /** The config as the worker runs it: per-instance budgets already divided (budget.ts). */
  readonly config: PassageConfig;
  readonly listen: { host: string; port: number };
  /** The table the supervisor holds, verified; undefined while it has none yet. */
  readonly table: RoutingTable | undefined;
}

export type ToWorker =
  | WorkerInit
  /** A table the supervisor's poller verified and applied: swapped in as it is. */
  | { readonly type: 'table'; readonly table: RoutingTable }
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
  | { readonly type: 'drained'; readonly cut: number };
