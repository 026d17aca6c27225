// The small syntaxes inside a table document: hostnames, `host:port` endpoints, RFC 3339 timestamps.

import { isIP } from 'node:net';

/** The handshake carries at most 255 characters of host, so a longer one could never match. */
export const MAX_HOST_LENGTH = 255;

// RFC 1123 labels, plus "_" which real DNS names (and Minecraft SRV setups) do use.
const LABEL_PATTERN = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A lower-case DNS name without a trailing dot. */
export function isHostname(name: string): boolean {
  return name.length > 0 && name.split('.').every((label) => LABEL_PATTERN.test(label));
}

export interface Endpoint {
  /** As written in the document. */
  readonly address: string;
  /** Without IPv6 brackets, ready for net.connect. */
  readonly host: string;
  readonly port: number;
}

/** Splits `host:port` (IPv6 as `[::1]:25565`); returns a problem description when it cannot. */
export function parseEndpoint(address: string): Endpoint | string {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') return `must be "[ipv6]:port", got ${JSON.stringify(address)}`;
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    if (isIP(host) !== 6) return `must hold an IPv6 address inside the brackets, got ${JSON.stringify(address)}`;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) return `must be "host:port", got ${JSON.stringify(address)}`;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) return `must put an IPv6 address in brackets, like "[::1]:25565", got ${JSON.stringify(address)}`;
    if (host.length > MAX_HOST_LENGTH) return `has a host of ${host.length} characters, the limit is ${MAX_HOST_LENGTH}`;
    if (isIP(host) === 0 && !isHostname(host.toLowerCase())) return `must have a hostname or IP address before the port, got ${JSON.stringify(address)}`;
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `must end with a port from 1 to 65535, got ${JSON.stringify(address)}`;
  return { address, host, port };
}

/** RFC 3339 date-time (§5.6) to milliseconds since the epoch; sub-millisecond digits are truncated. */
export function parseRfc3339(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  // Date.parse would roll "02-30" over into March; RFC 3339 §5.7 makes it invalid. Second 60 is a leap second.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0–99 as 1900–1999
  date.setUTCHours(hour, minute, second, millis);
  const sign = m[9] === '-' ? -1 : 1;
  return date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}
