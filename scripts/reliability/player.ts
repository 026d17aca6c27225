// The measuring side: a real minecraft-protocol client that logs in again and again (each time from
// the next address of its own pool, so it stays within its rate budget), and a status probe that
// times connect → status answer ("handshake latency").
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { login } from '../../test/helpers/minecraft.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { readVarInt } from '../../router/protocol/varint.ts';
import { loopback } from './stats.ts';

export interface PlayerStats {
  served: number;
  failed: number;
  failures: string[];
  latencies: number[];
}

export interface PlayerOptions {
  readonly port: number;
  readonly version: string;
  readonly host?: string;
  readonly sessionServer?: string;
  /** Second octet of the player's address pool (127.<pool>.x.y). */
  readonly pool: number;
  readonly poolSize: number;
  readonly pauseMs?: number;
}

/** Logs in back to back until stopped; every login must end in a Transfer. `reset()` ends the warm-up. */
export function startPlayer(o: PlayerOptions): { reset(): void; stop(): Promise<PlayerStats> } {
  let stats: PlayerStats = { served: 0, failed: 0, failures: [], latencies: [] };
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const i = n++;
      const started = performance.now();
      try {
        const result = await login({
          port: o.port,
          version: o.version,
          username: `Player${i % 1000}`,
          localAddress: loopback(o.pool, i % o.poolSize),
          ...(o.host === undefined ? {} : { host: o.host }),
          ...(o.sessionServer === undefined ? {} : { sessionServer: o.sessionServer }),
        });
        if (result.transfer !== undefined) {
          stats.served++;
          stats.latencies.push(performance.now() - started);
        } else {
          stats.failed++;
          if (stats.failures.length < 5) stats.failures.push(result.disconnect ?? 'no transfer');
        }
      } catch (err) {
        stats.failed++;
        if (stats.failures.length < 5) stats.failures.push((err as Error).message);
      }
      if (o.pauseMs !== undefined) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  })();
  return {
    reset: () => void (stats = { served: 0, failed: 0, failures: [], latencies: [] }),
    async stop() {
      running = false;
      await loop;
      return stats;
    },
  };
}

export interface ProbeStats {
  answered: number;
  failed: number;
  latencies: number[];
}

const statusHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 });
const statusRequest = new PacketWriter().packet(0x00);

/** One status exchange: resolves with ms from connect() to a complete Status Response, or -1. */
export function statusPing(port: number, from: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let buf = Buffer.alloc(0);
    const finish = (v: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(-1), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([statusHandshake, statusRequest])));
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const len = readVarInt(buf, 0);
      if (len !== undefined && buf.length >= len.size + len.value) finish(performance.now() - started);
    });
    socket.on('error', () => finish(-1));
    socket.on('close', () => finish(-1));
  });
}

/** Pings every `everyMs` (one at a time), from a pool of addresses. */
export function startProbe(o: { port: number; pool: number; poolSize: number; everyMs: number }): { reset(): void; stop(): Promise<ProbeStats> } {
  let stats: ProbeStats = { answered: 0, failed: 0, latencies: [] };
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const t = await statusPing(o.port, loopback(o.pool, n++ % o.poolSize));
      if (t < 0) stats.failed++;
      else {
        stats.answered++;
        stats.latencies.push(t);
      }
      await new Promise((r) => setTimeout(r, o.everyMs));
    }
  })();
  return {
    reset: () => void (stats = { answered: 0, failed: 0, latencies: [] }),
    async stop() {
      running = false;
      await loop;
      return stats;
    },
  };
}
