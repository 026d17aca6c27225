// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): where the time went, by function and by area.
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  readonly where: string;
  /** Share of the busy (non-idle) samples. */
  readonly selfPercent: number;
  readonly totalPercent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly idlePercent: number;
  /** Self time by area: Passage code, node_modules, Node internals, GC, native/other. */
  readonly areas: readonly { area: string; percent: number }[];
  readonly bySelf: readonly FunctionTime[];
  /** Inclusive time of Passage functions: what each part of the router costs with what it calls. */
  readonly passageByTotal: readonly FunctionTime[];
}

function shortUrl(url: string): string {
  const i = url.indexOf('/router/');
  if (i !== -1) return url.slice(i + 1);
  const m = url.indexOf('/node_modules/');
  if (m !== -1) return url.slice(m + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

function areaOf(frame: CallFrame): string {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return 'V8/native (program)';
  if (frame.url.includes('/router/')) return 'Passage (router/)';
  if (frame.url.includes('/node_modules/')) return 'node_modules';
  if (frame.url.startsWith('node:')) return 'Node internals (node:*)';
  return 'native/other';
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = (f: CallFrame): string => `${f.functionName || '(anonymous)'}\0${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const selfUs = new Map<string, number>();
  const totalUs = new Map<string, number>();
  const areaUs = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    busyUs += dt;
    const key = keyOf(node.callFrame);
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    const area = areaOf(node.callFrame);
    areaUs.set(area, (areaUs.get(area) ?? 0) + dt);
    // Inclusive time: each distinct function on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = keyOf((byId.get(id) as ProfileNode).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      totalUs.set(k, (totalUs.get(k) ?? 0) + dt);
    }
  }
  const pct = (us: number): number => (busyUs === 0 ? 0 : (100 * us) / busyUs);
  const fn = (key: string): FunctionTime => {
    const [name, where] = key.split('\0');
    return { name, where, selfPercent: pct(selfUs.get(key) ?? 0), totalPercent: pct(totalUs.get(key) ?? 0) };
  };
  const bySelf = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k]) => fn(k));
  const passageByTotal = [...totalUs.entries()]
    .filter(([k]) => k.split('\0')[1].startsWith('router/'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k]) => fn(k));
  const areas = [...areaUs.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, percent: pct(us) }));
  return { busyMs: busyUs / 1000, idlePercent: (100 * idleUs) / Math.max(1, idleUs + busyUs), areas, bySelf, passageByTotal };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const lines = [`${title}: ${s.busyMs.toFixed(0)} ms busy, ${s.idlePercent.toFixed(0)}% idle`];
  lines.push(`  by area: ${s.areas.map((a) => `${a.area} ${a.percent.toFixed(1)}%`).join(', ')}`);
  lines.push('  hottest functions (self % of busy time, total %):');
  for (const f of s.bySelf) lines.push(`    ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.totalPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  lines.push('  Passage functions by inclusive time (total %, self %):');
  for (const f of s.passageByTotal) lines.push(`    ${f.totalPercent.toFixed(1).padStart(5)}%  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  return lines.join('\n');
}
