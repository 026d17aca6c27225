export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const ms = (v: number): string => (Number.isNaN(v) ? '–' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`);
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Loopback addresses 127.a.b.c for i = 0…: distinct client IPs on one host. */
export function loopback(a: number, i: number): string {
  return `127.${a}.${Math.floor(i / 254) % 256}.${1 + (i % 254)}`;
}
