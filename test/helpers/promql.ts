// Just enough PromQL to evaluate the shipped alert rules (deploy/prometheus) against two scrapes of a
// router's /metrics, without a Prometheus server: selectors with matchers and ranges, rate/increase,
// histogram_quantile, sum/min/max/avg/count by (...), arithmetic, comparisons (filtering), and/or/unless,
// on/ignoring with group_left/group_right. Anything else throws, so a new rule cannot pass unread.

export type Labels = Readonly<Record<string, string>>;
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}
/** Two scrapes of the same targets, `seconds` apart: enough for rate() over any window that covers both. */
export interface Scrapes {
  readonly before: readonly Sample[];
  readonly after: readonly Sample[];
  readonly seconds: number;
}

type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: Sample[] } | { kind: 'range'; pairs: { labels: Labels; first: number; last: number }[] };

/** Parses the Prometheus text exposition format; `extra` labels play the scrape's job and instance. */
export function parseExposition(text: string, extra: Labels = {}): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = { ...extra, __name__: m[1]! };
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, '$1');
    out.push({ labels, value: m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]) });
  }
  return out;
}

const key = (labels: Labels, only?: readonly string[], without?: readonly string[]): string =>
  JSON.stringify(Object.keys(labels).filter((k) => k !== '__name__' && (only === undefined || only.includes(k)) && !(without ?? []).includes(k)).sort().map((k) => [k, labels[k]]));
const dropName = (labels: Labels): Labels => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== '__name__'));
const pick = (labels: Labels, names: readonly string[]): Labels => Object.fromEntries(Object.entries(labels).filter(([k]) => names.includes(k)));

class Parser {
  private readonly tokens: string[];
  private i = 0;
  private readonly data: Scrapes;

  constructor(expr: string, data: Scrapes) {
    this.tokens = expr.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[a-zA-Z_:][a-zA-Z0-9_:]*|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|==|!=|<=|>=|=~|!~|[(){}<>,=*/+%-]/g) ?? [];
    this.data = data;
  }

  evaluate(): Value {
    const v = this.binary(0);
    if (this.i < this.tokens.length) throw new Error(`unexpected "${this.tokens[this.i]}"`);
    return v;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private take(want?: string): string {
    const t = this.tokens[this.i++];
    if (t === undefined || (want !== undefined && t !== want)) throw new Error(`expected ${want ?? 'a token'}, got ${t ?? 'the end'}`);
    return t;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [['or'], ['and', 'unless'], ['==', '!=', '<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): Value {
    if (level === Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (Parser.LEVELS[level]!.includes(this.peek() ?? '')) {
      const op = this.take();
      let bool = false;
      if (this.peek() === 'bool') bool = Boolean(this.take());
      let on: string[] | undefined;
      let ignoring: string[] | undefined;
      let group: 'left' | 'right' | undefined;
      if (this.peek() === 'on' || this.peek() === 'ignoring') {
        const which = this.take();
        const names = this.labelList();
        if (which === 'on') on = names;
        else ignoring = names;
      }
      if (this.peek() === 'group_left' || this.peek() === 'group_right') {
        group = this.take() === 'group_left' ? 'left' : 'right';
        if (this.peek() === '(') this.labelList();
      }
      const right = this.binary(level + 1);
      left = apply(op, left, right, { bool, on, ignoring, group });
    }
    return left;
  }

  private unary(): Value {
    if (this.peek() === '-') {
      this.take();
      const v = this.unary();
      if (v.kind !== 'scalar') throw new Error('unary minus on a vector is not supported here');
      return { kind: 'scalar', value: -v.value };
    }
    return this.primary();
  }

  private labelList(): string[] {
    this.take('(');
    const names: string[] = [];
    while (this.peek() !== ')') {
      names.push(this.take());
      if (this.peek() === ',') this.take();
    }
    this.take(')');
    return names;
  }

  private primary(): Value {
    const t = this.take();
    if (t === '(') {
      const v = this.binary(0);
      this.take(')');
      return v;
    }
    if (/^\d/.test(t)) return { kind: 'scalar', value: Number(t) };
    if (['sum', 'min', 'max', 'avg', 'count'].includes(t)) {
      let by: string[] | undefined;
      if (this.peek() === 'by') {
        this.take();
        by = this.labelList();
      }
      this.take('(');
      const inner = this.binary(0);
      this.take(')');
      if (this.peek() === 'by') {
        this.take();
        by = this.labelList();
      }
      return aggregate(t, inner, by ?? []);
    }
    if (['rate', 'increase', 'irate'].includes(t)) {
      this.take('(');
      const inner = this.primary();
      this.take(')');
      if (inner.kind !== 'range') throw new Error(`${t}() needs a range vector`);
      return {
        kind: 'vector',
        samples: inner.pairs.map((p) => ({ labels: dropName(p.labels), value: t === 'increase' ? p.last - p.first : (p.last - p.first) / this.data.seconds })),
      };
    }
    if (t === 'histogram_quantile') {
      this.take('(');
      const q = this.binary(0);
      this.take(',');
      const buckets = this.binary(0);
      this.take(')');
      if (q.kind !== 'scalar' || buckets.kind !== 'vector') throw new Error('histogram_quantile(scalar, vector)');
      return quantile(q.value, buckets.samples);
    }
    if (!/^[a-zA-Z_:]/.test(t)) throw new Error(`unsupported token "${t}"`);
    const matchers: [string, string, string][] = [];
    if (this.peek() === '{') {
      this.take();
      while (this.peek() !== '}') {
        const name = this.take();
        const op = this.take();
        const value = JSON.parse(this.take()) as string;
        matchers.push([name, op, value]);
        if (this.peek() === ',') this.take();
      }
      this.take('}');
    }
    const matches = (s: Sample): boolean =>
      s.labels.__name__ === t &&
      matchers.every(([n, op, v]) => {
        const have = s.labels[n] ?? '';
        if (op === '=') return have === v;
        if (op === '!=') return have !== v;
        if (op === '=~') return new RegExp(`^(?:${v})$`).test(have);
        if (op === '!~') return !new RegExp(`^(?:${v})$`).test(have);
        throw new Error(`matcher ${op}`);
      });
    if (this.peek()?.startsWith('[')) {
      this.take();
      const first = new Map(this.data.before.filter(matches).map((s) => [key(s.labels), s.value]));
      return { kind: 'range', pairs: this.data.after.filter(matches).flatMap((s) => (first.has(key(s.labels)) ? [{ labels: s.labels, first: first.get(key(s.labels))!, last: s.value }] : [])) };
    }
    return { kind: 'vector', samples: this.data.after.filter(matches) };
  }
}

function aggregate(op: string, v: Value, by: readonly string[]): Value {
  if (v.kind !== 'vector') throw new Error(`${op}() needs an instant vector`);
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of v.samples) {
    const k = key(s.labels, by);
    const g = groups.get(k) ?? { labels: pick(s.labels, by), values: [] };
    g.values.push(s.value);
    groups.set(k, g);
  }
  const fold = (xs: number[]): number => {
    if (op === 'sum') return xs.reduce((a, b) => a + b, 0);
    if (op === 'min') return Math.min(...xs);
    if (op === 'max') return Math.max(...xs);
    if (op === 'count') return xs.length;
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  return { kind: 'vector', samples: [...groups.values()].map((g) => ({ labels: g.labels, value: fold(g.values) })) };
}

function quantile(q: number, buckets: readonly Sample[]): Value {
  const groups = new Map<string, { labels: Labels; les: [number, number][] }>();
  for (const s of buckets) {
    const k = key(s.labels, undefined, ['le']);
    const g = groups.get(k) ?? { labels: Object.fromEntries(Object.entries(dropName(s.labels)).filter(([n]) => n !== 'le')), les: [] };
    g.les.push([s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value]);
    groups.set(k, g);
  }
  const samples = [...groups.values()].map((g) => {
    const les = g.les.sort((a, b) => a[0] - b[0]);
    const total = les.at(-1)?.[1] ?? 0;
    // No observations: Prometheus answers NaN, and every comparison with NaN is false.
    if (total === 0) return { labels: g.labels, value: NaN };
    const rank = q * total;
    let lower = 0;
    let below = 0;
    for (const [le, count] of les) {
      if (count >= rank) return { labels: g.labels, value: le === Infinity ? lower : lower + ((le - lower) * (rank - below)) / (count - below || 1) };
      lower = le;
      below = count;
    }
    return { labels: g.labels, value: lower };
  });
  return { kind: 'vector', samples };
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b, '!=': (a, b) => a !== b, '<': (a, b) => a < b, '>': (a, b) => a > b, '<=': (a, b) => a <= b, '>=': (a, b) => a >= b,
};
const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b, '%': (a, b) => a % b,
};

function apply(op: string, left: Value, right: Value, mod: { bool: boolean; on?: string[]; ignoring?: string[]; group?: 'left' | 'right' }): Value {
  if (left.kind === 'range' || right.kind === 'range') throw new Error('a range vector outside rate()');
  if (left.kind === 'scalar' && right.kind === 'scalar') {
    if (op in ARITH) return { kind: 'scalar', value: ARITH[op]!(left.value, right.value) };
    if (op in COMPARE && mod.bool) return { kind: 'scalar', value: COMPARE[op]!(left.value, right.value) ? 1 : 0 };
    throw new Error(`${op} between scalars`);
  }
  const match = (l: Labels): string => key(l, mod.on, mod.ignoring);
  if (op === 'and' || op === 'unless' || op === 'or') {
    if (left.kind !== 'vector' || right.kind !== 'vector') throw new Error(`${op} needs vectors`);
    const rightKeys = new Set(right.samples.map((s) => match(s.labels)));
    if (op === 'and') return { kind: 'vector', samples: left.samples.filter((s) => rightKeys.has(match(s.labels))) };
    if (op === 'unless') return { kind: 'vector', samples: left.samples.filter((s) => !rightKeys.has(match(s.labels))) };
    const leftKeys = new Set(left.samples.map((s) => match(s.labels)));
    return { kind: 'vector', samples: [...left.samples, ...right.samples.filter((s) => !leftKeys.has(match(s.labels)))] };
  }
  const combine = (a: number, b: number): number | undefined => {
    if (op in ARITH) return ARITH[op]!(a, b);
    const holds = COMPARE[op]!(a, b);
    if (mod.bool) return holds ? 1 : 0;
    return holds ? a : undefined;
  };
  if (left.kind === 'vector' && right.kind === 'scalar') {
    return { kind: 'vector', samples: left.samples.flatMap((s) => { const v = combine(s.value, right.value); return v === undefined ? [] : [{ labels: op in ARITH ? dropName(s.labels) : s.labels, value: v }]; }) };
  }
  if (left.kind === 'scalar' && right.kind === 'vector') {
    return { kind: 'vector', samples: right.samples.flatMap((s) => { const v = combine(left.value, s.value); return v === undefined ? [] : [{ labels: dropName(s.labels), value: op in ARITH || mod.bool ? v : s.value }]; }) };
  }
  if (left.kind !== 'vector' || right.kind !== 'vector') throw new Error('unreachable');
  // Vector to vector: one-to-one, or many-to-one with group_left (group_right mirrors it).
  const [many, one, flipped] = mod.group === 'right' ? [right.samples, left.samples, true] : [left.samples, right.samples, false];
  const byKey = new Map<string, Sample>();
  for (const s of one) {
    const k = match(s.labels);
    if (byKey.has(k)) throw new Error(`many-to-many match on ${k}`);
    byKey.set(k, s);
  }
  const samples: Sample[] = [];
  for (const s of many) {
    const other = byKey.get(match(s.labels));
    if (other === undefined) continue;
    const [a, b] = flipped ? [other.value, s.value] : [s.value, other.value];
    const v = combine(a, b);
    if (v === undefined) continue;
    const labels = mod.group !== undefined ? dropName(s.labels) : mod.on !== undefined ? pick(s.labels, mod.on) : dropName(s.labels);
    samples.push({ labels, value: v });
  }
  return { kind: 'vector', samples };
}

/** The series an expression yields at the second scrape: for an alert rule, the alerts that would be pending. */
export function evaluate(expr: string, data: Scrapes): Sample[] {
  const v = new Parser(expr, data).evaluate();
  if (v.kind !== 'vector') throw new Error(`"${expr}" is not an instant vector`);
  return v.samples;
}
