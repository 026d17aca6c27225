// node:http's functions, taken from the built-in module object rather than through `import … from
// 'node:http'`. An ESM import of node:http builds the module's namespace, which reads every export,
// including the lazy WebSocket, CloseEvent and MessageEvent getters; those load Node's bundled undici,
// http2 and zlib: about 13 MB of idle RSS a router on a file source never uses (measured with
// `process.memoryUsage().rss` after each, Node 24.21). test/integration/lean-start.test.ts checks that
// undici and http2 are not loaded (prom-client loads zlib itself).
import type { Agent as AgentType } from 'node:http';

const http = process.getBuiltinModule('node:http');

export const createServer = http.createServer;
export const request = http.request;
export const Agent = http.Agent;
export type Agent = AgentType;
