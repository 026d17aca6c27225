// A worker process for tests and benchmarks: router/workers/worker.ts as it runs, plus a record of what
// reaches it over IPC. It appends one JSON line per message received to the file named by
// PASSAGE_TEST_IPC_LOG: the worker's pid, the message type and its size as child_process serialized it
// (serialization "advanced"). With PASSAGE_TEST_IPC_LOG_DELAY set instead of the size (re-serializing a
// big message would itself stall the loop), each line carries the longest gap between two turns of a
// 1 ms interval since the line before, as wall time and as CPU time of the main thread (ms; on a loaded
// machine the wall gap includes time the process was not scheduled): a measurement, never a test's
// verdict. (monitorEventLoopDelay cannot be read per period: its reset() forgets the time of its last
// tick, so a stall that spans a reset is never recorded.)
import { appendFileSync } from 'node:fs';
import { DefaultSerializer } from 'node:v8';

const logFile = process.env.PASSAGE_TEST_IPC_LOG;
const measureDelay = process.env.PASSAGE_TEST_IPC_LOG_DELAY !== undefined;
const threadCpuMs = (): number => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};
const gaps = { last: performance.now(), lastCpu: threadCpuMs(), max: 0, maxCpu: 0 };
if (measureDelay) {
  setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuMs();
    gaps.max = Math.max(gaps.max, now - gaps.last);
    gaps.maxCpu = Math.max(gaps.maxCpu, cpu - gaps.lastCpu);
    gaps.last = now;
    gaps.lastCpu = cpu;
  }, 1).unref();
}

function serializedSize(message: unknown): number {
  const serializer = new DefaultSerializer();
  serializer.writeHeader();
  serializer.writeValue(message);
  return serializer.releaseBuffer().length;
}

if (logFile !== undefined) {
  process.on('message', (message: { type: string }) => {
    const line = { pid: process.pid, type: message.type, ...(measureDelay ? { maxDelayMs: gaps.max, maxCpuMs: gaps.maxCpu } : { bytes: serializedSize(message) }) };
    gaps.max = 0;
    gaps.maxCpu = 0;
    appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  });
}
await import('../../router/workers/worker.ts');
