// A worker process for tests and benchmarks: router/workers/worker.ts as it runs, plus a record of what
// reaches it over IPC. It appends one JSON line per message received to the file named by
// PASSAGE_TEST_IPC_LOG: the worker's pid, the message type and its size as child_process serialized it
// (serialization "advanced"). With PASSAGE_TEST_IPC_LOG_DELAY set, each line also carries the longest
// event-loop delay since the line before (monitorEventLoopDelay, ms): a measurement, never a test's verdict.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DefaultSerializer } from 'node:v8';

const logFile = process.env.PASSAGE_TEST_IPC_LOG;
const delay = process.env.PASSAGE_TEST_IPC_LOG_DELAY === undefined ? undefined : monitorEventLoopDelay({ resolution: 1 });
delay?.enable();

function serializedSize(message: unknown): number {
  const serializer = new DefaultSerializer();
  serializer.writeHeader();
  serializer.writeValue(message);
  return serializer.releaseBuffer().length;
}

if (logFile !== undefined) {
  process.on('message', (message: { type: string }) => {
    const line = { pid: process.pid, type: message.type, bytes: serializedSize(message), ...(delay === undefined ? {} : { maxDelayMs: delay.max / 1e6 }) };
    delay?.reset();
    appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  });
}
await import('../../router/workers/worker.ts');
