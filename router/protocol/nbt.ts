// Network NBT (1.20.2+): a root tag is its type byte followed by its payload, with no name.
// Configuration-state text (disconnect reasons, resource-pack prompts) travels as NBT, not JSON.

import { EncodeError } from './errors.ts';
import { MAX_NBT_STRING_BYTES } from './limits.ts';

const TAG_END = 0;
const TAG_BYTE = 1;
const TAG_INT = 3;
const TAG_DOUBLE = 6;
const TAG_STRING = 8;
const TAG_LIST = 9;
const TAG_COMPOUND = 10;

/** Bytes of Java's modified UTF-8 (DataOutput.writeUTF without its length): NUL and surrogates differ from UTF-8. */
export function modifiedUtf8Length(s: string): number {
  let size = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    size += c >= 0x01 && c <= 0x7f ? 1 : c <= 0x7ff ? 2 : 3;
  }
  return size;
}

export function modifiedUtf8(s: string): Buffer {
  const size = modifiedUtf8Length(s);
  if (size > MAX_NBT_STRING_BYTES) throw new EncodeError('NBT string', size, MAX_NBT_STRING_BYTES, 'bytes');
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) {
      out[o++] = c;
    } else if (c <= 0x7ff) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return out;
}

function nbtString(s: string, parts: Buffer[]): void {
  const bytes = modifiedUtf8(s);
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(bytes.length);
  parts.push(len, bytes);
}

function tagOf(v: unknown): number {
  if (typeof v === 'string') return TAG_STRING;
  if (typeof v === 'boolean') return TAG_BYTE;
  if (typeof v === 'number') return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? TAG_INT : TAG_DOUBLE;
  if (Array.isArray(v)) return TAG_LIST;
  if (v !== null && typeof v === 'object') return TAG_COMPOUND;
  throw new TypeError(`cannot encode ${v === null ? 'null' : typeof v} as NBT`);
}

function payload(v: unknown, tag: number, parts: Buffer[]): void {
  switch (tag) {
    case TAG_STRING:
      nbtString(v as string, parts);
      return;
    case TAG_BYTE:
      parts.push(Buffer.from([v ? 1 : 0]));
      return;
    case TAG_INT: {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(v as number);
      parts.push(b);
      return;
    }
    case TAG_DOUBLE: {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v as number);
      parts.push(b);
      return;
    }
    case TAG_LIST: {
      // NBT lists are homogeneous; text components allow mixing strings and objects in `extra`,
      // so mixed lists are written as compounds (`"a"` → `{text:"a"}`), which the client accepts.
      const items = v as unknown[];
      const tags = new Set(items.map(tagOf));
      const mixed = tags.size > 1;
      const itemTag = items.length === 0 ? TAG_END : mixed ? TAG_COMPOUND : tagOf(items[0]);
      const head = Buffer.allocUnsafe(5);
      head[0] = itemTag;
      head.writeInt32BE(items.length, 1);
      parts.push(head);
      for (const item of items) {
        const value = mixed && typeof item !== 'object' ? { text: String(item) } : item;
        payload(value, itemTag, parts);
      }
      return;
    }
    case TAG_COMPOUND: {
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        if (value === undefined || value === null) continue;
        const t = tagOf(value);
        parts.push(Buffer.from([t]));
        nbtString(key, parts);
        payload(value, t, parts);
      }
      parts.push(Buffer.from([TAG_END]));
      return;
    }
  }
}

/** Encodes a JSON text component (string, object or array) as an unnamed network NBT root tag. */
export function textComponentToNbt(component: unknown): Buffer {
  const value = Array.isArray(component) ? { text: '', extra: component } : component;
  const tag = tagOf(value);
  const parts: Buffer[] = [Buffer.from([tag])];
  payload(value, tag, parts);
  return Buffer.concat(parts);
}
