// The live fleet view of `passagectl status` (Ink). Plain `.ts` with React.createElement: Node runs
// this file by stripping types, and it cannot strip JSX.
//   ↑/↓ select a region · Enter shows its instances (Esc/← hides them) · r refreshes · q quits

import React from 'react';
import { Box, render, Text, useApp, useInput, useStdin } from 'ink';
import { pushHistory, sparkline, type FleetSnapshot, type RateHistory, type RegionRow } from '../fleet/aggregate.ts';
import type { InstanceView } from '../fleet/aggregate.ts';
import { clip, columnWidths, describeLatest, INSTANCE_HEADERS, instanceCells, padCells, REGION_HEADERS, regionCells, VIEW_WIDTH } from '../fleet/format.ts';

const h = React.createElement;

export const REFRESH_MS = 2_000;
export const SPARK_WIDTH = 8;

export interface StatusViewProps {
  readonly load: () => Promise<FleetSnapshot>;
  readonly refreshMs?: number;
}

const HEALTH_COLOR: Record<RegionRow['health'], string> = { ok: 'green', degraded: 'yellow', stale: 'red' };
const STATE_COLOR: Record<string, string> = { ready: 'green', starting: 'cyan', draining: 'yellow', stale: 'red' };

/** Green means ready *and* on the latest table: a ready instance whose table lags is yellow, like its region. */
export function instanceColor(inst: Pick<InstanceView, 'state' | 'behind'>): string {
  if (inst.state === 'ready' && inst.behind) return 'yellow';
  return STATE_COLOR[inst.state] ?? 'white';
}

export function StatusView(props: StatusViewProps): React.ReactElement {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [snapshot, setSnapshot] = React.useState<FleetSnapshot | null>(null);
  const [history, setHistory] = React.useState<RateHistory>(new Map());
  const [selected, setSelected] = React.useState(0);
  const [expanded, setExpanded] = React.useState(false);
  const [failure, setFailure] = React.useState<string | null>(null);
  const [refreshing, setRefreshing] = React.useState(false);
  const busy = React.useRef(false);
  const mounted = React.useRef(true);

  const refresh = React.useCallback(async (): Promise<void> => {
    // One load at a time: a slow DynamoDB must not pile up requests every 2 s.
    if (busy.current) return;
    busy.current = true;
    setRefreshing(true);
    try {
      const s = await props.load();
      if (!mounted.current) return;
      setSnapshot(s);
      setHistory((old) => pushHistory(old, s.regions));
      setFailure(null);
    } catch (err) {
      if (mounted.current) setFailure((err as Error).message);
    } finally {
      busy.current = false;
      if (mounted.current) setRefreshing(false);
    }
  }, [props.load]);

  React.useEffect(() => {
    mounted.current = true;
    void refresh();
    const timer = setInterval(() => void refresh(), props.refreshMs ?? REFRESH_MS);
    return () => {
      mounted.current = false;
      clearInterval(timer);
    };
  }, [refresh, props.refreshMs]);

  const regionCount = snapshot?.regions.length ?? 0;
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) exit();
      else if (input === 'r') void refresh();
      else if (key.upArrow) setSelected((i) => Math.max(0, i - 1));
      else if (key.downArrow) setSelected((i) => Math.min(Math.max(0, regionCount - 1), i + 1));
      else if (key.return) setExpanded((e) => !e);
      else if (key.escape || key.leftArrow) setExpanded(false);
    },
    // Without a TTY on stdin Ink cannot enter raw mode and useInput would throw.
    { isActive: isRawModeSupported === true },
  );

  if (snapshot === null) return h(Text, null, failure === null ? 'Loading fleet status…' : `Cannot read the fleet: ${failure}`);
  const now = snapshot.at;
  const index = Math.min(selected, Math.max(0, regionCount - 1));
  const region = snapshot.regions[index];
  const header = clip(`Passage fleet · ${describeLatest(snapshot.latest, now)} · ${new Date(now).toISOString().slice(11, 19)}${refreshing ? ' ↻' : ''}`);
  const cells = snapshot.regions.map((r) => regionCells(r, now));
  const widths = columnWidths([[...REGION_HEADERS], ...cells]);
  const children: React.ReactNode[] = [
    h(Text, { key: 'title', bold: true }, header),
    h(Text, { key: 'head', dimColor: true }, clip(`  ${padCells([...REGION_HEADERS, 'TREND'], [...widths, 0])}`)),
  ];
  if (regionCount === 0) children.push(h(Text, { key: 'none' }, '  no routers reported (no heartbeats, no /status answered)'));
  snapshot.regions.forEach((r, i) => {
    const line = clip(`${i === index ? '›' : ' '} ${padCells([...cells[i], sparkline(history.get(r.region) ?? [], SPARK_WIDTH)], [...widths, 0])}`);
    children.push(h(Text, { key: `r-${r.region}`, color: HEALTH_COLOR[r.health], inverse: i === index }, line));
  });
  if (expanded && region !== undefined) children.push(instancesOf(snapshot, region.region));
  for (const p of snapshot.problems) children.push(h(Text, { key: `p-${p}`, color: 'red' }, `! ${p}`));
  if (failure !== null) children.push(h(Text, { key: 'fail', color: 'red' }, `! refresh failed: ${failure}`));
  children.push(h(Text, { key: 'help', dimColor: true }, '↑↓ select · ⏎ instances · r refresh · q quit · rates per second'));
  return h(Box, { flexDirection: 'column' }, ...children);
}

function instancesOf(snapshot: FleetSnapshot, region: string): React.ReactElement {
  const list = snapshot.instances.filter((i) => i.region === region);
  const rows = list.map((i) => instanceCells(i));
  const widths = columnWidths([[...INSTANCE_HEADERS], ...rows]);
  return h(
    Box,
    { key: 'instances', flexDirection: 'column', marginLeft: 2, marginTop: 1, marginBottom: 1 },
    h(Text, { bold: true }, `Instances in ${region}`),
    // marginLeft 2: the rows get two columns less.
    h(Text, { dimColor: true }, clip(padCells([...INSTANCE_HEADERS], widths), VIEW_WIDTH - 2)),
    ...list.map((inst, n) => h(Text, { key: inst.instance, color: instanceColor(inst) }, clip(padCells(rows[n], widths), VIEW_WIDTH - 2))),
  );
}

/** Runs the view on the process terminal until `q` (or the signal fires). */
export async function runStatusView(load: () => Promise<FleetSnapshot>, signal: AbortSignal): Promise<void> {
  const app = render(h(StatusView, { load }), { exitOnCtrlC: true });
  const onAbort = (): void => app.unmount();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await app.waitUntilExit();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
