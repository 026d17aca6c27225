/**
 * What is live right now (a router's connections, its sockets awaiting a PROXY header), as a doubly
 * linked list: `add` returns the entry, `entry.remove()` unlinks it in O(1) and drops every pointer it
 * held, so nothing the list once held stays reachable through it.
 *
 * Why not a `Set`: V8 rebuilds a Set's hash table every few dozen adds under churn (deleted entries
 * fill it) and, as we read its OrderedHashTable, keeps the table it left, entries included, for
 * iterators that may still walk it (measured, not proven: taking the Set away took the effect). A dead table in the old generation is still a root for the young generation's collector, so
 * under a stream of short connections the finished ones it pointed at (with their sockets, buffers and
 * phases) were copied and promoted instead of freed: a router answering status pings promoted 795–924
 * KB per scavenge with the Set, 620–628 KB with this list (docs/BENCHMARKS.md, "What a scavenge kept").
 */
export class LiveList<T> {
  private readonly head: Link<T> = new Link<T>(undefined, this);
  private count = 0;

  constructor() {
    this.head.prev = this.head;
    this.head.next = this.head;
  }

  get size(): number {
    return this.count;
  }

  /** Appends `value`; the returned entry removes it again. */
  add(value: T): LiveEntry {
    const link = new Link<T>(value, this);
    const last = this.head.prev!;
    link.prev = last;
    link.next = this.head;
    last.next = link;
    this.head.prev = link;
    this.count++;
    return link;
  }

  /** A copy of the values, oldest first: the caller may remove entries (or add them) while it walks it. */
  values(): T[] {
    const out: T[] = [];
    for (let at = this.head.next!; at !== this.head; at = at.next!) out.push(at.value as T);
    return out;
  }

  /** @internal */
  unlink(link: Link<T>): void {
    link.prev!.next = link.next;
    link.next!.prev = link.prev;
    this.count--;
  }
}

export interface LiveEntry {
  /** Takes the value out of its list; later calls do nothing. */
  remove(): void;
}

class Link<T> implements LiveEntry {
  value: T | undefined;
  prev: Link<T> | undefined;
  next: Link<T> | undefined;
  private list: LiveList<T> | undefined;

  constructor(value: T | undefined, list: LiveList<T>) {
    this.value = value;
    this.list = list;
  }

  remove(): void {
    if (this.list === undefined) return;
    this.list.unlink(this);
    this.list = undefined;
    this.value = undefined;
    this.prev = undefined;
    this.next = undefined;
  }
}
