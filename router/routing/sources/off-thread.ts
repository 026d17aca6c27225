// A big single-envelope table is verified in a worker thread: verifying and parsing 100,000 routes
// takes seconds of CPU, which on the event loop would hold every ping and login for that long. The
// worker answers with the verified table split into chunks (manifest.ts), which the loop then
// applies in short slices exactly like a chunked table's.

import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { VerifyOptions } from '../../table/envelope.ts';
import { PassageError } from '../../errors.ts';
import { TableError, type TableErrorCode } from '../../table/errors.ts';
import type { ManifestDocument } from '../../table/manifest.ts';
import { siblingModule } from '../../module-url.ts';

const VERIFY_WORKER = siblingModule(import.meta.url, 'verify-worker');

/** Envelopes up to this size are verified on the loop (a few ms); bigger ones in a worker. */
export const INLINE_VERIFY_MAX_BYTES = 32 * 1024;

export interface OffThreadRequest {
  readonly bytes: Uint8Array;
  readonly trustedKeys: readonly KeyObject[];
  readonly opts: VerifyOptions;
}

export type OffThreadReply =
  | {
      readonly kind: 'verified';
      /** `envelope`: a single envelope, split into `chunkBytes` (one per manifest entry); `chunked`: a manifest, whose chunks the caller reads. */
      readonly format: 'envelope' | 'chunked';
      readonly manifest: ManifestDocument;
      readonly chunkBytes: readonly Uint8Array[];
      readonly payloadDigest: string;
      readonly keyid: string;
    }
  | { readonly kind: 'refused'; readonly code: TableErrorCode; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

export type OffThreadVerified = Extract<OffThreadReply, { kind: 'verified' }>;

/** A refusal from the worker, with the code verifyEnvelope gave it. */
export class OffThreadTableError extends TableError {}

/**
 * A table thread that failed instead of answering (it crashed, ran out of its heap, or could not start):
 * the router's own failure, not the table's. The poll fails (ERR_TABLE_THREAD, counted in
 * passage_table_poll_failures_total) and is retried; the table is not refused.
 */
export class TableThreadError extends PassageError {
  readonly code = 'ERR_TABLE_THREAD';
}

/**
 * Runs `url` in a new worker thread with `workerData` and resolves with the first message it posts: the
 * one shape of every table thread that answers once (verify, chunk build, file read). A thread that
 * fails, or exits before answering, is a TableThreadError naming `what`; aborting terminates it.
 */
export function runTableThread<T>(url: URL, workerData: unknown, what: string, opts: { readonly signal?: AbortSignal | undefined; readonly heapMb?: number | undefined } = {}): Promise<T> {
  const { signal } = opts;
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData, ...(opts.heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: opts.heapMb } }) });
    let answered = false;
    const onAbort = (): void => {
      void worker.terminate();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: T) => {
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(reply);
    });
    worker.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new TableThreadError(`${what} failed: ${err.message}`, { cause: err }));
    });
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (!answered) reject(new TableThreadError(`${what} exited with code ${code} before answering`));
    });
  });
}

/** Verifies `bytes` in a new worker thread; throws a TableError when refused. Aborting terminates the worker. */
export async function verifyOffThread(request: OffThreadRequest, signal: AbortSignal): Promise<OffThreadVerified> {
  const reply = await runTableThread<OffThreadReply>(VERIFY_WORKER, request, 'table verification worker', { signal });
  if (reply.kind === 'refused') throw new OffThreadTableError(reply.code, reply.message);
  if (reply.kind === 'failed') throw new TableThreadError(`table verification worker failed: ${reply.message}`);
  return reply;
}
