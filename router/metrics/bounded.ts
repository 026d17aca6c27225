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

interface Series {
  readonly labels: Labels;
  tick: number;
  /**
   * prom-client's own record of this series (its `hashMap` entry), once the series was recorded
   * through the metric's method; the hot path updates it in place while it is still the metric's.
   */
  record: PromRecord | undefined;
  /** The record's key in the metric's `hashMap`. */
  hash: string;
}

/** One level of the hot path's index: a label's value (or its absence) to the next level, or to the series at the last label. */
type SeriesIndex = Map<string | undefined, SeriesIndex | Series>;

/**
 * A label value as the index keys it. An absent label stays apart from an empty one: prom-client
 * records them as two series (the series key of `admit` does not tell them apart, so the second of
 * such a pair never gets a record of its own attached and always takes prom-client's path).
 */
const valueKey = (v: string | number | undefined): string | undefined => (v === undefined ? undefined : typeof v === 'string' ? v : String(v));

/** The fields of prom-client's per-series records that the hot path updates (prom-client 15). */
interface PromRecord {
  value?: number;
  sum?: number;
  count?: number;
  bucketValues?: Record<string, number>;
}

/** The series of one metric and the bounds of its labels. */
class SeriesGuard {
  private readonly labelNames: readonly string[];
  private readonly labels: LabelValues[];
  /** Series by key, with their labels and the tick they were last updated at. */
  private readonly series = new Map<string, Series>();
  /** Series with an attached record, by their label values in label order (the hot path's lookup). */
  private readonly index: SeriesIndex = new Map();
  /** The series the last `admit` recorded under, for the caller to attach prom-client's record to. */
  admitted: Series | undefined;
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

  /**
   * The hot path: the series of `raw` when it was recorded under exactly these values before and its
   * record is attached; touched as `admit` would touch it (no value is new, so nothing is evicted).
   */
  known(raw: Labels): Series | undefined {
    // Label values to series through one Map per label: no key string is built per call.
    let node: SeriesIndex | Series | undefined = this.index;
    for (let i = 0; i < this.labelNames.length && node !== undefined; i++) node = (node as SeriesIndex).get(valueKey(raw[this.labelNames[i]!]));
    const s = node as Series | undefined;
    if (s === undefined) return undefined;
    const tick = ++this.tick;
    s.tick = tick;
    for (let i = 0; i < this.labelNames.length; i++) {
      const values = this.labels[i]!;
      if (values.bound.overflow !== 'evict') continue;
      const v = raw[this.labelNames[i]!];
      if (v !== undefined) values.values.set(typeof v === 'string' ? v : String(v), tick);
    }
    return s;
  }

  /** Puts a series whose record is now attached on the hot path. */
  indexSeries(s: Series): void {
    let node = this.index;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const k = valueKey(s.labels[this.labelNames[i]!]);
      let next = node.get(k) as SeriesIndex | undefined;
      if (next === undefined) node.set(k, (next = new Map()));
      node = next;
    }
    node.set(valueKey(s.labels[this.labelNames[last]!]), s);
  }

  /** Takes a removed series off the hot path, with the index maps it leaves empty. */
  private unindex(s: Series): void {
    if (s.record === undefined) return;
    const path: SeriesIndex[] = [];
    let node: SeriesIndex | undefined = this.index;
    for (let i = 0; i < this.labelNames.length - 1 && node !== undefined; i++) {
      path.push(node);
      node = node.get(valueKey(s.labels[this.labelNames[i]!])) as SeriesIndex | undefined;
    }
    if (node === undefined) return;
    node.delete(valueKey(s.labels[this.labelNames[this.labelNames.length - 1]!]));
    for (let i = path.length - 1; i >= 0 && node.size === 0; i--) {
      path[i]!.delete(valueKey(s.labels[this.labelNames[i]!]));
      node = path[i]!;
    }
  }

  /** The labels to record under; evicts what they push out. */
  admit(raw: Labels): Labels {
    this.admitted = undefined;
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
      if (out === raw) this.admitted = known;
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
      this.unindex(oldest);
      this.remove(oldest.labels);
      this.onEvicted(1);
    }
    const added: Series = { labels: out === raw ? { ...raw } : out, tick, record: undefined, hash: '' };
    this.series.set(key, added);
    // Only a series recorded under the caller's own values may take the hot path: `known` looks it
    // up by those values, and an "other" series stands for many.
    if (out === raw) this.admitted = added;
    return out;
  }

  private evictWhere(match: (labels: Labels) => boolean): void {
    let count = 0;
    for (const [key, s] of this.series) {
      if (!match(s.labels)) continue;
      this.series.delete(key);
      this.unindex(s);
      this.remove(s.labels);
      count++;
    }
    if (count > 0) this.onEvicted(count);
  }

  reset(): void {
    this.admitted = undefined;
    this.series.clear();
    this.index.clear();
    for (const values of this.labels) values.values.clear();
  }

  get size(): number {
    return this.series.size;
  }
}

const isLabels = (v: unknown): v is Labels => typeof v === 'object' && v !== null;

/**
 * What the hot path reads of a prom-client metric (15.x; `test/metrics/hot-path.test.ts` checks that
 * the in-place updates expose exactly what prom-client's own methods do).
 */
type PromMetric = {
  name: string;
  type: string;
  labelNames?: readonly string[];
  sortedLabelNames: readonly string[];
  /** Records by prom-client's label hash. */
  hashMap: Record<string, PromRecord | undefined>;
  /** A histogram's bucket bounds, ascending. */
  upperBounds?: readonly number[];
  remove(labels: Labels): void;
  reset(): void;
} & Record<string, unknown>;

/** prom-client's key of a label set in `hashMap` (lib/util.js hashObject with the sorted label names). */
function promHash(labels: Labels, sortedLabelNames: readonly string[]): string {
  let hash = '';
  for (const name of sortedLabelNames) {
    const v = labels[name];
    if (v !== undefined) hash += `${name}:${v},`;
  }
  return hash;
}

/** Updates a known series' record in place; false hands the call to prom-client's own method. */
type InPlace = (m: PromMetric, record: PromRecord, value: unknown) => boolean;

/**
 * Counter.inc on a known series, as prom-client does it (same checks, same errors) without rebuilding
 * the label hash and a result object per call; false hands the call to prom-client.
 */
function incInPlace(_m: PromMetric, record: PromRecord, value: unknown): boolean {
  if (value === undefined || value === null) value = 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || record.value === undefined) return false;
  record.value += value;
  return true;
}

/** Histogram.observe on a known series: the bucket, sum and count prom-client would update. */
function observeInPlace(m: PromMetric, record: PromRecord, value: unknown): boolean {
  const bounds = m.upperBounds;
  const buckets = record.bucketValues;
  if (typeof value !== 'number' || !Number.isFinite(value) || bounds === undefined || buckets === undefined || record.sum === undefined || record.count === undefined) return false;
  record.sum += value;
  record.count += 1;
  // The first bound the value is within; above the last one only the sum and count (the +Inf bucket) move.
  const keys = bucketKeysOf(bounds);
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]!) {
      const key = keys[i]!;
      if (Object.hasOwn(buckets, key)) buckets[key]! += 1;
      break;
    }
  }
  return true;
}

/** A histogram's bucket keys in its records (the bounds as property names), computed once per bounds array. */
const BUCKET_KEYS = new WeakMap<readonly number[], readonly string[]>();
function bucketKeysOf(bounds: readonly number[]): readonly string[] {
  let keys = BUCKET_KEYS.get(bounds);
  if (keys === undefined) BUCKET_KEYS.set(bounds, (keys = bounds.map(String)));
  return keys;
}

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
    const m = metric as unknown as PromMetric;
    const labelNames = m.labelNames ?? [];
    if (labelNames.length === 0 || this.wrapped.has(m)) return;
    this.wrapped.add(m);
    const guard = new SeriesGuard(labelNames, this.opts, (labels) => m.remove(labels), (count) => this.onEvicted(m.name, count));
    this.guards.set(m.name, guard);
    // Metrics register from inside their base constructor, and Counter and Histogram then assign
    // `inc` / `observe` themselves: an accessor wraps whatever is assigned, now or later.
    for (const method of LABELED_METHODS) {
      let original = m[method] as ((a?: unknown, b?: unknown) => unknown) | undefined;
      // Known once the subclass constructor has set `type` (after it registered the metric).
      let hot: InPlace | null | undefined;
      // Two arguments at most: (labels, value) or (value). Exemplars (one object argument) are not used.
      const bounded = (a?: unknown, b?: unknown): unknown => {
        if (!isLabels(a)) return original!.call(m, a, b);
        hot ??= method === 'inc' && m.type === 'counter' ? incInPlace : method === 'observe' && m.type === 'histogram' ? observeInPlace : null;
        if (hot !== null) {
          const s = guard.known(a);
          // The record is still the metric's own (no reset or remove since): update it in place.
          if (s !== undefined && m.hashMap[s.hash] === s.record && hot(m, s.record!, b)) return undefined;
        }
        const result = original!.call(m, guard.admit(a), b);
        const s = guard.admitted;
        if (hot !== null && s !== undefined) {
          s.hash = promHash(s.labels, m.sortedLabelNames);
          const wasIndexed = s.record !== undefined;
          s.record = m.hashMap[s.hash];
          if (!wasIndexed && s.record !== undefined) guard.indexSeries(s);
        }
        return result;
      };
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
