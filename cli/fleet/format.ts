// Text for the fleet view: the same cells for the plain snapshot (off a TTY) and the Ink view.

import type { FleetSnapshot, InstanceView, PublishedTable, RegionRow } from './aggregate.ts';

/** The terminal width every row of the view and the plain snapshot fits in. */
export const VIEW_WIDTH = 80;

/** "0", "0.4", "12", "1.3k", "12k", "2M": a rate in at most four characters, so a region row fits VIEW_WIDTH. */
export function formatRate(n: number): string {
  if (n === 0) return '0';
  if (n < 9.95) return n.toFixed(1).replace(/\.0$/, '');
  if (n < 999.5) return String(Math.round(n));
  if (n < 9_950) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  if (n < 9_950_000) return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** A line cut to `width` columns with "…": the last column (a rejection, a problem) is free text. */
export function clip(line: string, width = VIEW_WIDTH): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
}

/** ECS task ids are 32 hex digits; the first 12 tell tasks apart (as `docker ps` does). */
export function shortInstance(name: string): string {
  return [...name].length <= 16 ? name : `${[...name].slice(0, 12).join('')}…`;
}

/** "850µs", "12ms", "1.4s", or "-" when unknown. */
export function formatLatency(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)}µs`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${seconds.toFixed(1)}s`;
}

/** A coarse span for "time to expiry" and ages: "45s", "12m", "5h", "6d4h", "-" when null; negative: "expired". */
export function formatSpan(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) > 0 ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  const h = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)}d${h > 0 ? `${h}h` : ''}`;
}

/** "v8", "v7,v8", "-"; a trailing "!" when some instance is behind the latest published version. */
export function formatVersions(row: RegionRow): string {
  if (row.tableVersions.length === 0) return '-';
  return `${row.tableVersions.map((v) => `v${v}`).join(',')}${row.behind > 0 ? '!' : ''}`;
}

/** Rates are per second (the header line says so): short headers keep a region row within VIEW_WIDTH. */
export const REGION_HEADERS = ['REGION', 'R/D/S', 'TABLE', 'EXPIRES', 'CONN', 'LOGIN', 'XFER', 'ERR', 'RL', 'P99'] as const;

/** Ready (and starting) / draining / stale. */
export function formatCounts(row: RegionRow): string {
  return `${row.ready}${row.starting > 0 ? `+${row.starting}` : ''}/${row.draining}/${row.stale}`;
}

export function regionCells(row: RegionRow, now: number): string[] {
  return [
    row.region,
    formatCounts(row),
    formatVersions(row),
    formatSpan(row.tableExpiresAt === null ? null : row.tableExpiresAt - now),
    formatRate(row.rates.connections),
    formatRate(row.rates.logins),
    formatRate(row.rates.transfers),
    formatRate(row.rates.errors),
    formatRate(row.rates.rateLimited),
    formatLatency(row.p99LoginSeconds),
  ];
}

export const INSTANCE_HEADERS = ['INSTANCE', 'STATE', 'TABLE', 'SEEN', 'CONN', 'LOGIN', 'XFER', 'ERR', 'P99', 'LAST REJECTION'] as const;

export function instanceCells(i: InstanceView): string[] {
  return [
    shortInstance(i.instance),
    i.state,
    i.table === null ? '-' : `v${i.table.version}${i.behind ? '!' : ''}`,
    i.error !== null ? 'unreachable' : `${formatSpan(i.ageMs)} ago`,
    formatRate(i.rates?.connections ?? 0),
    formatRate(i.rates?.logins ?? 0),
    formatRate(i.rates?.transfers ?? 0),
    formatRate(i.rates?.errors ?? 0),
    formatLatency(i.p99LoginSeconds),
    i.error ?? i.lastRejection?.code ?? '-',
  ];
}

/** Column widths that fit every cell (and header). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return widths;
}

/** One space between columns: with two, a region row of eleven columns does not fit VIEW_WIDTH. */
export function padCells(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i] - [...c].length)))).join(' ').trimEnd();
}

export function describeLatest(latest: PublishedTable | null, now: number): string {
  if (latest === null) return 'latest published table: unknown';
  const expiry = latest.expiresAt === null ? 'never expires' : `expires in ${formatSpan(latest.expiresAt - now)}`;
  return `table ${latest.id}: latest published v${latest.version} (${expiry})`;
}

/** The plain snapshot: a header line, one row per region, then every instance, then problems. */
export function formatSnapshot(s: FleetSnapshot): string {
  const lines = [`passage fleet at ${new Date(s.at).toISOString()} · ${describeLatest(s.latest, s.at)}`, ''];
  if (s.regions.length === 0) lines.push('no routers reported (no heartbeats, no /status answered)');
  else {
    const rows = [[...REGION_HEADERS], ...s.regions.map((r) => regionCells(r, s.at))];
    const widths = columnWidths(rows);
    for (const row of rows) lines.push(clip(padCells(row, widths)));
    lines.push('');
    const inst = [['REGION', ...INSTANCE_HEADERS], ...s.instances.map((i) => [i.region, ...instanceCells(i)])];
    const iw = columnWidths(inst);
    for (const row of inst) lines.push(clip(padCells(row, iw)));
  }
  for (const p of s.problems) lines.push(`! ${p}`);
  // Problems keep their whole text (the fix is in it); the table rows fit the terminal.
  return `${lines.join('\n')}\n`;
}
