// Reference 2: minecraft-protocol's own server answering status (what a Node Minecraft server
// library costs per exchange). Usage: node mc-protocol-status.ts <port>; prints `READY <port>`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mc = require('minecraft-protocol') as {
  createServer(opts: Record<string, unknown>): { on(event: string, fn: (...args: unknown[]) => void): void };
};

const port = Number(process.argv[2]);
const server = mc.createServer({
  host: '127.0.0.1',
  port,
  version: '1.21.4',
  'online-mode': false,
  motd: 'minecraft-protocol benchmark',
  maxPlayers: 500,
  hideErrors: true,
});
server.on('listening', () => process.stdout.write(`READY ${port}\n`));
server.on('error', (err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
