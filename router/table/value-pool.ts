// A big table repeats small values: the same `meta` on thousands of targets, one favicon on every route
// of a hosting provider, one backend host serving many routes on different ports. Parsed one by one,
// each occurrence would be its own string or object; a pool hands out the first one instead, so a
// 100,000-route table keeps one copy (docs/BENCHMARKS.md, "Applying big tables"). The model is
// read-only, so sharing is invisible to its readers. One pool per parse: `Context.values`.

import { SegmentedMap } from './segmented-map.ts';

export class ValuePool {
  private readonly strings = new SegmentedMap<string>();
  private readonly objects = new SegmentedMap<object>();
  /**
   * Off for a table whose routes are kept as bytes (router/routing/compact-routes.ts): nothing shares
   * its objects, and the pool would only hold every value on the heap while the table is read.
   */
  private readonly enabled: boolean;

  constructor(enabled = true) {
    this.enabled = enabled;
  }

  /** The first string equal to `value` this pool saw. */
  string(value: string): string {
    return this.enabled ? (this.strings.claim(value, value) ?? value) : value;
  }

  /** The object this pool made first under `key()` (naming the kind of object and serializing its content); `make` makes it the first time. */
  object<T extends object>(key: () => string, make: () => T): T {
    if (!this.enabled) return make();
    const id = key();
    const first = this.objects.get(id);
    if (first !== undefined) return first as T;
    const value = make();
    this.objects.set(id, value);
    return value;
  }
}
