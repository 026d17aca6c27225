// String keys → numbers, kept in typed arrays outside the V8 heap: the route index (host → route
// position) and the duplicate checks of a table (host → where it is first listed, route id → index).
//
// Why not a Map: at 100,000 routes a Map-based index keeps 200,000 host strings and their entries on the
// V8 heap, ~130 bytes a route the collector walks on every major GC, and built during a sliced apply
// it grows the old generation until a major GC pauses the router in the middle of it. Here a key's
// code units are copied into pages (a byte each when all are below 256, as host names and ids are;
// else two) and its entry is four numbers in a Uint32Array: the strings a table was parsed from die
// young, and the table holds a few ArrayBuffers.
//
// Open addressing with linear probing over a power-of-two slot array, at most half full. Growing is
// incremental: a slot array twice the size takes new keys, and each insert moves MIGRATE_STEP of the
// old array's entries over (from their stored hashes; no key is hashed or compared again) while lookups
// look in both, so no single insert pays for all of them. Moving 262,144 entries at once took 12-17 ms
// on the bench VM (random writes into a 4 MiB array), as long as a Map's rehash of its JavaScript
// entries at that size (6-32 ms at 131,072-262,144 entries, scripts/bench/map-growth.ts).

/** Code units of a key page; a longer key gets a page of its own. */
const PAGE_UNITS = 1 << 18;
const FIRST_PAGE_UNITS = 256;
const FIRST_ENTRIES = 8;
/** Per entry: page, offset in the page, length, hash. */
const STRIDE = 4;
/** Entries moved to the new slot array per insert while growing: done long before it must grow again. */
const MIGRATE_STEP = 16;
/** Entries are kept in blocks of this many (the first grows up to it), so adding entries never copies them all. */
const BLOCK_BITS = 13;
const BLOCK_ENTRIES = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_ENTRIES - 1;

/** What a lookup needs of a KeyTable. */
export interface KeyLookup {
  readonly size: number;
  get(key: string): number | undefined;
}

/**
 * A KeyTable's arrays, to rebuild it elsewhere (KeyTable.fromState): a table built in a worker thread is
 * posted to the router's loop with its ArrayBuffers transferred (keyTableBuffers), not copied.
 */
export interface KeyTableState {
  readonly narrow: readonly Uint8Array<ArrayBuffer>[];
  readonly narrowUsed: number;
  readonly wide: readonly Uint16Array<ArrayBuffer>[];
  readonly wideUsed: number;
  readonly entryBlocks: readonly Uint32Array<ArrayBuffer>[];
  readonly valueBlocks: readonly Float64Array<ArrayBuffer>[];
  readonly capacity: number;
  readonly slots: Int32Array<ArrayBuffer>;
  readonly oldSlots: Int32Array<ArrayBuffer> | undefined;
  readonly moved: number;
  readonly unmoved: number;
  readonly count: number;
}

/** The ArrayBuffers a KeyTableState holds, for postMessage's transfer list. */
export function keyTableBuffers(state: KeyTableState): ArrayBuffer[] {
  const arrays = [...state.narrow, ...state.wide, ...state.entryBlocks, ...state.valueBlocks, state.slots, ...(state.oldSlots === undefined ? [] : [state.oldSlots])];
  return arrays.map((a) => a.buffer);
}

export class KeyTable implements KeyLookup {
  /** Keys whose code units are all below 256, a byte each; the others two bytes each. */
  private readonly narrow = new KeyPages((n) => new Uint8Array(n));
  private readonly wide = new KeyPages((n) => new Uint16Array(n));
  private readonly entryBlocks: Uint32Array<ArrayBuffer>[] = [new Uint32Array(FIRST_ENTRIES * STRIDE)];
  private readonly valueBlocks: Float64Array<ArrayBuffer>[] = [new Float64Array(FIRST_ENTRIES)];
  private capacity = FIRST_ENTRIES;
  /** Entry number + 1 per slot; 0 is empty. */
  private slots: Int32Array<ArrayBuffer> = new Int32Array(FIRST_ENTRIES * 2);
  /** While growing: the smaller slot array, where entries from `moved` up to `unmoved` still are (and only there). */
  private oldSlots: Int32Array<ArrayBuffer> | undefined;
  private moved = 0;
  private unmoved = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes of this table's arrays (outside the V8 heap). */
  get byteLength(): number {
    return keyTableBuffers(this.toState()).reduce((sum, buffer) => sum + buffer.byteLength, 0);
  }

  /** This table's arrays (shared, not copied: the table is not changed after). */
  toState(): KeyTableState {
    return {
      narrow: this.narrow.list,
      narrowUsed: this.narrow.used,
      wide: this.wide.list,
      wideUsed: this.wide.used,
      entryBlocks: this.entryBlocks,
      valueBlocks: this.valueBlocks,
      capacity: this.capacity,
      slots: this.slots,
      oldSlots: this.oldSlots,
      moved: this.moved,
      unmoved: this.unmoved,
      count: this.count,
    };
  }

  /** The table a toState() described (its arrays adopted, not copied). */
  static fromState(state: KeyTableState): KeyTable {
    const table = new KeyTable();
    const mask = state.slots.length - 1;
    if (state.slots.length === 0 || (state.slots.length & mask) !== 0 || state.count > state.capacity || state.entryBlocks.length !== state.valueBlocks.length) {
      throw new RangeError('not the state of a key table');
    }
    table.narrow.adopt(state.narrow, state.narrowUsed);
    table.wide.adopt(state.wide, state.wideUsed);
    table.entryBlocks.splice(0, table.entryBlocks.length, ...state.entryBlocks);
    table.valueBlocks.splice(0, table.valueBlocks.length, ...state.valueBlocks);
    table.capacity = state.capacity;
    table.slots = state.slots;
    table.oldSlots = state.oldSlots;
    table.moved = state.moved;
    table.unmoved = state.unmoved;
    table.count = state.count;
    return table;
  }

  get(key: string): number | undefined {
    const entry = this.find(key, hashOf(key));
    return entry < 0 ? undefined : this.valueBlocks[entry >>> BLOCK_BITS]![entry & BLOCK_MASK];
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  /** The value `key` already has, or undefined after giving it `value`: "first one wins". */
  claim(key: string, value: number): number | undefined {
    const hash = hashOf(key);
    const found = this.find(key, hash);
    if (found >= 0) return this.valueBlocks[found >>> BLOCK_BITS]![found & BLOCK_MASK];
    this.insert(key, hash, value);
    return undefined;
  }

  /** The entry number of `key`, or -1. */
  private find(key: string, hash: number): number {
    const entry = this.findIn(this.slots, key, hash);
    return entry >= 0 || this.oldSlots === undefined ? entry : this.findIn(this.oldSlots, key, hash);
  }

  private findIn(slots: Int32Array, key: string, hash: number): number {
    const { entryBlocks } = this;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot]!;
      if (held === 0) return -1;
      const entry = held - 1;
      const entries = entryBlocks[entry >>> BLOCK_BITS]!;
      const at = (entry & BLOCK_MASK) * STRIDE;
      if (entries[at + 3] === hash && entries[at + 2] === key.length && this.keyEquals(entries[at]!, entries[at + 1]!, key)) return entry;
    }
  }

  /** `page`: the page's number times two, plus one for a wide page. */
  private keyEquals(page: number, offset: number, key: string): boolean {
    const units = (page & 1) === 0 ? this.narrow.list[page >>> 1]! : this.wide.list[page >>> 1]!;
    for (let i = 0; i < key.length; i++) if (units[offset + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private insert(key: string, hash: number, value: number): void {
    const entry = this.count;
    if (entry === this.capacity) this.growEntries();
    const wide = !fitsInBytes(key);
    const [number, offset] = (wide ? this.wide : this.narrow).store(key);
    const page = number * 2 + (wide ? 1 : 0);
    const entries = this.entryBlocks[entry >>> BLOCK_BITS]!;
    const at = (entry & BLOCK_MASK) * STRIDE;
    entries[at] = page;
    entries[at + 1] = offset;
    entries[at + 2] = key.length;
    entries[at + 3] = hash;
    this.valueBlocks[entry >>> BLOCK_BITS]![entry & BLOCK_MASK] = value;
    this.count++;
    this.place(this.slots, hash, entry);
    if (this.oldSlots !== undefined) this.migrate();
    else if (this.count * 2 > this.slots.length) this.grow();
  }

  private place(slots: Int32Array, hash: number, entry: number): void {
    const mask = slots.length - 1;
    let slot = hash & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry + 1;
  }

  private growEntries(): void {
    if (this.capacity >= BLOCK_ENTRIES) {
      this.entryBlocks.push(new Uint32Array(BLOCK_ENTRIES * STRIDE));
      this.valueBlocks.push(new Float64Array(BLOCK_ENTRIES));
      this.capacity += BLOCK_ENTRIES;
      return;
    }
    // The first block, doubled up to a whole block.
    const size = this.capacity * 2;
    const entries = new Uint32Array(size * STRIDE);
    entries.set(this.entryBlocks[0]!);
    this.entryBlocks[0] = entries;
    const values = new Float64Array(size);
    values.set(this.valueBlocks[0]!);
    this.valueBlocks[0] = values;
    this.capacity = size;
  }

  /** Starts moving to a slot array twice the size: the entries so far are moved by the next inserts. */
  private grow(): void {
    this.oldSlots = this.slots;
    this.slots = new Int32Array(this.slots.length * 2);
    this.moved = 0;
    this.unmoved = this.count;
  }

  private migrate(): void {
    const end = Math.min(this.unmoved, this.moved + MIGRATE_STEP);
    for (let entry = this.moved; entry < end; entry++) this.place(this.slots, this.entryBlocks[entry >>> BLOCK_BITS]![(entry & BLOCK_MASK) * STRIDE + 3]!, entry);
    this.moved = end;
    if (end === this.unmoved) this.oldSlots = undefined;
  }
}

/** Pages of one width that keys' code units are copied into, each page filled before the next. */
class KeyPages<A extends Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer>> {
  readonly list: A[] = [];
  used = 0;
  private readonly make: (units: number) => A;

  constructor(make: (units: number) => A) {
    this.make = make;
  }

  /** Takes over pages written elsewhere, the last one filled up to `used`. */
  adopt(list: readonly A[], used: number): void {
    this.list.splice(0, this.list.length, ...list);
    this.used = used;
  }

  /** Copies the key's code units into a page; returns [page, offset]. */
  store(key: string): [number, number] {
    let page = this.list.length - 1;
    let units = this.list[page];
    if (units === undefined || this.used + key.length > units.length) {
      const size = Math.max(key.length, units === undefined ? FIRST_PAGE_UNITS : Math.min(PAGE_UNITS, units.length * 2));
      units = this.make(size);
      page = this.list.push(units) - 1;
      this.used = 0;
    }
    const offset = this.used;
    for (let i = 0; i < key.length; i++) units[offset + i] = key.charCodeAt(i);
    this.used += key.length;
    return [page, offset];
  }
}

function fitsInBytes(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return false;
  return true;
}

/**
 * FNV-1a over the key's UTF-16 code units, then MurmurHash3's finalizer so the low bits (the slot) depend
 * on every unit: host names that differ in one digit must not crowd neighbouring slots. Keys come from
 * signed tables; a client's handshake host is only looked up, so it cannot lengthen the probes.
 */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
