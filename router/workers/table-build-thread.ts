// Worker thread: builds one handed-over table (table-build.ts, ThreadTableBuild) from its batches with
// the builder the loop would use, answering each batch once its routes are added, and the whole
// table's parts at the end: segments on SharedArrayBuffers, key tables with their buffers transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { ActiveTableBuilder } from '../routing/build-active.ts';
import { toWire } from '../routing/parts-wire.ts';
import { addRouteBatch, type FromBuildThread, type ToBuildThread } from './table-build.ts';

const { transfer, routeCount } = workerData as { transfer: number; routeCount: number };
const builder = new ActiveTableBuilder();
const favicons: string[] = [];
const port = parentPort!;

port.on('message', (message: ToBuildThread) => {
  void answer(message).then(
    ({ reply, buffers }) => port.postMessage(reply, buffers),
    (err: unknown) => port.postMessage({ kind: 'failed', message: (err as Error).message ?? String(err) } satisfies FromBuildThread),
  );
});

async function answer(message: ToBuildThread): Promise<{ reply: FromBuildThread; buffers: ArrayBuffer[] }> {
  if (message.kind === 'batch') {
    await addRouteBatch(builder, favicons, message.bytes, transfer, routeCount, () => undefined);
    return { reply: { kind: 'taken', routes: builder.length }, buffers: [] };
  }
  const built = toWire(builder.parts());
  port.unref();
  return { reply: { kind: 'built', parts: built.wire }, buffers: built.transfer };
}
