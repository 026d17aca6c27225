// How a router says where it listens. Started with port 0 (tests, `passagectl deploy --local`), only
// the router knows its ports; it logs them once as a structured `listening` field of its start-up line
// (one JSON object per line on stdout, pino's format), and passagectl parses that line as JSON. The
// human-readable message beside it is for people and may change freely.

/** Longest log line the reader parses: the start-up line is a few hundred bytes. */
export const MAX_LISTENING_LINE = 64 * 1024;
/** Longest host the reader accepts (a DNS name, or an IP address). */
export const MAX_LISTENING_HOST = 255;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface ListeningRecord {
  /** Where players connect. */
  readonly game: Endpoint;
  /** The admin server (/metrics, /healthz, /readyz, /status). */
  readonly admin: Endpoint;
}

/** The log field, from what `server.address()` reports. */
export function listeningField(game: { address: string; port: number }, admin: { address: string; port: number }): { listening: ListeningRecord } {
  const endpoint = (a: { address: string; port: number }): Endpoint => ({ host: a.address.slice(0, MAX_LISTENING_HOST), port: a.port });
  return { listening: { game: endpoint(game), admin: endpoint(admin) } };
}

function endpointOf(value: unknown): Endpoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { host, port } = value as { host?: unknown; port?: unknown };
  if (typeof host !== 'string' || host === '' || host.length > MAX_LISTENING_HOST) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host, port };
}

/** The record in one log line, or undefined when the line is not a start-up line. */
export function readListeningLine(line: string): ListeningRecord | undefined {
  if (line.length > MAX_LISTENING_LINE || !line.includes('"listening"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = (parsed as { listening?: unknown }).listening;
  if (typeof record !== 'object' || record === null) return undefined;
  const game = endpointOf((record as { game?: unknown }).game);
  const admin = endpointOf((record as { admin?: unknown }).admin);
  return game === undefined || admin === undefined ? undefined : { game, admin };
}

/** `http://host:port`, with an IPv6 address in brackets. */
export function httpUrlOf(endpoint: Endpoint): string {
  return `http://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}
