// Bounded label cardinality for every metric of a registry. Prometheus keeps one series per distinct
// label set for as long as the process lives, so a label fed by ids that come and go (Agones or
// Kubernetes game servers as transfer targets, routes and packs of tables long replaced) grows the
// registry, and every scrape, without end. Each labeled metric registered here is wrapped once:
//
// - a label fed by table or discovery ids (`target`, `route`, `pack`) keeps its most recently used
//   values; the value used longest ago is evicted together with every series that carries it (the
//   target is gone, or has had no traffic for longest);
// - every other label has a fixed vocabulary in the code (intents, stable error codes, reasons); past
//   its cap (a bug, or a code string from outside) further values are counted as `other`;
// - and whatever the labels, a metric holds at most `maxSeries` series: the one updated longest ago
//   goes first.
//
// Evicting a counter's series is a reset for Prometheus, which rate() and increase() handle.
import { Registry } from 'prom-client';
import type { Metric } from 'prom-client';

export interface LabelBound {
  /** Distinct values kept at once. */
  readonly max: number;
  /** `evict`: drop the least recently used value and its series; `other`: later values become "other". */
  readonly overflow: 'evict' | 'other';
}

export const OVERFLOW_LABEL_VALUE = 'other';

/** Labels whose values come from routing tables and discovery: recent values stay, old ones go. */
export const LABEL_BOUNDS: Readonly<Record<string, LabelBound>> = {
  target: { max: 500, overflow: 'evict' },
  route: { max: 256, overflow: 'evict' },
  pack: { max: 128, overflow: 'evict' },
};
/** Any other label: a vocabulary fixed in the code (75 error codes today), capped as a guard. */
export const DEFAULT_LABEL_BOUND: LabelBound = { max: 128, overflow: 'other' };
/** Series per metric, whatever their labels. */
export const DEFAULT_MAX_SERIES = 2048;

export interface BoundedRegistryOptions {
  readonly bounds?: Readonly<Record<string, LabelBound>>;
  readonly defaultBound?: LabelBound;
  readonly maxSeries?: number;
}

type Labels = Record<string, string | number>;

/**
 * One label of one metric: each value kept with the tick it was last used at. Touching a value is one
 * Map write; finding the least recently used one is a scan, paid only when a value is evicted.
 */
class LabelValues {
  readonly values = new Map<string, number>();
  readonly bound: LabelBound;
  constructor(bound: LabelBound) {
    this.bound = bound;
  }

  /** Set by `admit` to the value it pushed out (whose series must go), else undefined. */
  evicted: string | undefined;

  /** The value to record. */
  admit(value: string, tick: number): string {
    this.evicted = undefined;
    if (this.values.has(value)) {
      if (this.bound.overflow === 'evict') this.values.set(value, tick);
      return value;
    }
    if (this.values.size < this.bound.max) {
      this.values.set(value, tick);
      return value;
    }
    if (this.bound.overflow === 'other') return OVERFLOW_LABEL_VALUE;
    const oldest = leastRecent(this.values);
    this.values.delete(oldest);
    this.values.set(value, tick);
    this.evicted = oldest;
    return value;
  }
}

function leastRecent<K>(map: Map<K, number>): K {
  let oldest: K | undefined;
  let oldestTick = Infinity;
  for (const [k, tick] of map) {
    if (tick < oldestTick) {
      oldest = k;
      oldestTick = tick;
    }
  }
  return oldest as K;
}

/** The series of one metric and the bounds of its labels. */
class SeriesGuard {
  private readonly labelNames: readonly string[];
  private readonly labels: LabelValues[];
  /** Series by key, with their labels and the tick they were last updated at. */
  private readonly series = new Map<string, { labels: Labels; tick: number }>();
  private readonly maxSeries: number;
  private readonly remove: (labels: Labels) => void;
  private readonly onEvicted: (count: number) => void;
  private tick = 0;

  constructor(labelNames: readonly string[], opts: Required<BoundedRegistryOptions>, remove: (labels: Labels) => void, onEvicted: (count: number) => void) {
    this.labelNames = labelNames;
    this.labels = labelNames.map((name) => new LabelValues(opts.bounds[name] ?? opts.defaultBound));
    this.maxSeries = opts.maxSeries;
    this.remove = remove;
    this.onEvicted = onEvicted;
  }

  /** The labels to record under; evicts what they push out. */
  admit(raw: Labels): Labels {
    const tick = ++this.tick;
    let out = raw;
    let key = '';
    let evicted: string[] | undefined;
    for (let i = 0; i < this.labelNames.length; i++) {
      const name = this.labelNames[i]!;
      const v = raw[name];
      if (v !== undefined) {
        const value = typeof v === 'string' ? v : String(v);
        const values = this.labels[i]!;
        const kept = values.admit(value, tick);
        if (kept !== value) {
          if (out === raw) out = { ...raw };
          out[name] = kept;
        }
        if (values.evicted !== undefined) (evicted ??= []).push(name, values.evicted);
        key += kept;
      }
      key += '\u0000';
    }
    if (evicted !== undefined) {
      for (let i = 0; i < evicted.length; i += 2) {
        const name = evicted[i]!;
        const value = evicted[i + 1]!;
        this.evictWhere((l) => l[name] !== undefined && String(l[name]) === value);
      }
    }
    const known = this.series.get(key);
    if (known !== undefined) {
      known.tick = tick;
      return out;
    }
    if (this.series.size >= this.maxSeries) {
      let oldestKey = '';
      let oldestTick = Infinity;
      for (const [k, s] of this.series) {
        if (s.tick < oldestTick) {
          oldestKey = k;
          oldestTick = s.tick;
        }
      }
      const oldest = this.series.get(oldestKey)!;
      this.series.delete(oldestKey);
      this.remove(oldest.labels);
      this.onEvicted(1);
    }
    this.series.set(key, { labels: out === raw ? { ...raw } : out, tick });
    return out;
  }

  private evictWhere(match: (labels: Labels) => boolean): void {
    let count = 0;
    for (const [key, s] of this.series) {
      if (!match(s.labels)) continue;
      this.series.delete(key);
      this.remove(s.labels);
      count++;
    }
    if (count > 0) this.onEvicted(count);
  }

  reset(): void {
    this.series.clear();
    for (const values of this.labels) values.values.clear();
  }

  get size(): number {
    return this.series.size;
  }
}

const isLabels = (v: unknown): v is Labels => typeof v === 'object' && v !== null;

/** The methods of prom-client's Counter, Gauge and Histogram whose first argument may be labels. */
const LABELED_METHODS = ['inc', 'dec', 'set', 'observe'] as const;

/**
 * A prom-client Registry that bounds the label cardinality of every labeled metric registered with
 * it (metrics register themselves through `registers: [registry]`, so nothing else has to opt in).
 */
export class BoundedRegistry extends Registry {
  private readonly opts: Required<BoundedRegistryOptions>;
  /** By metric name (the newest registration); `wrapped` keeps a metric registered twice from being wrapped twice. */
  private readonly guards = new Map<string, SeriesGuard>();
  private readonly wrapped = new WeakSet<object>();
  /** Called with the metric name and the number of series evicted (the registry's own counter). */
  onEvicted: (metric: string, count: number) => void = () => {};

  constructor(opts: BoundedRegistryOptions = {}) {
    super();
    this.opts = { bounds: opts.bounds ?? LABEL_BOUNDS, defaultBound: opts.defaultBound ?? DEFAULT_LABEL_BOUND, maxSeries: opts.maxSeries ?? DEFAULT_MAX_SERIES };
  }

  override registerMetric<T extends string>(metric: Metric<T>): void {
    super.registerMetric(metric);
    const m = metric as unknown as { name: string; labelNames?: readonly string[]; remove(labels: Labels): void; reset(): void } & Record<string, unknown>;
    const labelNames = m.labelNames ?? [];
    if (labelNames.length === 0 || this.wrapped.has(m)) return;
    this.wrapped.add(m);
    const guard = new SeriesGuard(labelNames, this.opts, (labels) => m.remove(labels), (count) => this.onEvicted(m.name, count));
    this.guards.set(m.name, guard);
    // Metrics register from inside their base constructor, and Counter and Histogram then assign
    // `inc` / `observe` themselves: an accessor wraps whatever is assigned, now or later.
    for (const method of LABELED_METHODS) {
      let original = m[method] as ((a?: unknown, b?: unknown) => unknown) | undefined;
      // Two arguments at most: (labels, value) or (value). Exemplars (one object argument) are not used.
      const bounded = (a?: unknown, b?: unknown): unknown => (isLabels(a) ? original!.call(m, guard.admit(a), b) : original!.call(m, a, b));
      Object.defineProperty(m, method, {
        configurable: true,
        enumerable: false,
        // Undefined until assigned (a Counter has no `observe`): nothing to wrap yet.
        get: () => (original === undefined ? undefined : bounded),
        set: (fn: (a?: unknown, b?: unknown) => unknown) => {
          original = fn;
        },
      });
    }
    const reset = m.reset.bind(m);
    m.reset = () => {
      guard.reset();
      reset();
    };
  }

  /** Series a labeled metric holds, as the guard counts them (tests). */
  seriesCount(name: string): number | undefined {
    return this.guards.get(name)?.size;
  }
}
