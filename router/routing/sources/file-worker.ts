// Worker thread: reads one big routes file (file-off-thread.ts): an envelope is only recognised; a
// routes file is parsed, validated, its favicons inlined, and its table built as segments and key tables.
import { parentPort, workerData } from 'node:worker_threads';
import { ActiveTableBuilder } from '../build-active.ts';
import { parseTableFile, TableFileError } from '../file-source.ts';
import { toWire } from '../parts-wire.ts';
import type { FileWorkerReply } from './file-off-thread.ts';
import { isEnvelopeFile } from './file.ts';

const { path, bytes } = workerData as { path: string; bytes: Uint8Array };
const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
let reply: FileWorkerReply;
let transfer: ArrayBuffer[] = [];
try {
  if (isEnvelopeFile(path, buffer)) {
    reply = { kind: 'envelope' };
  } else {
    const { routes, ...header } = parseTableFile(path, buffer.toString('utf8'));
    const builder = new ActiveTableBuilder();
    for (const route of routes) builder.add(route);
    const { wire, transfer: buffers } = toWire(builder.parts());
    transfer = buffers;
    reply = { kind: 'table', header, parts: wire };
  }
} catch (err) {
  reply = err instanceof TableFileError ? { kind: 'invalid', message: err.message } : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply, transfer);
