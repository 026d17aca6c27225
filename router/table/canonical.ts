// RFC 8785 JSON Canonicalization Scheme. The publisher signs these bytes and the router checks that the
// payload it verified is already in this form, so two parsers can never read one signed table two ways.
//
// RFC 8785 is defined in terms of ECMAScript's own JSON serialization, which V8 implements: strings
// (§3.2.2.2) and numbers (§3.2.2.3) are exactly `JSON.stringify` of a primitive, and member names are
// sorted by UTF-16 code units (§3.2.3), which is what the default `Array.prototype.sort` compares.
// What is left for us is refusing everything outside I-JSON instead of letting JSON.stringify silently
// drop or convert it.

import { CanonicalJsonError } from './errors.ts';

export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, '', out, new Set());
  return out.join('');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function write(value: unknown, path: string, out: string[], ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      out.push(quote(value, path));
      return;
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity have no JSON form and must be rejected.
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a JSON number`);
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) {
        out.push('null');
        return;
      }
      break;
    default:
      // undefined, bigint, symbol, function: JSON.stringify would drop, throw or stringify these inconsistently.
      throw new CanonicalJsonError(path, `${typeof value} is not a JSON value`);
  }

  if (ancestors.has(value)) throw new CanonicalJsonError(path, 'circular reference');
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      // Holes read as undefined and are rejected like any other undefined.
      write(value[i], `${path}[${i}]`, out, ancestors);
    }
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(value);
    // A Date, Map, Buffer or class instance has no single JSON meaning (toJSON is a choice, not data).
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(path, `${proto?.constructor?.name ?? 'exotic object'} is not a plain JSON object`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      const at = path ? `${path}.${key}` : key;
      out.push(quote(key, at), ':');
      write(record[key], at, out, ancestors);
    });
    out.push('}');
  }
  ancestors.delete(value);
}

function quote(text: string, path: string): string {
  // I-JSON (RFC 7493 §2.1), which RFC 8785 requires, forbids lone surrogates; JSON.stringify would escape
  // them as \udXXX, producing text that other canonicalizers reject.
  if (!text.isWellFormed()) throw new CanonicalJsonError(path, 'string contains a lone UTF-16 surrogate');
  return JSON.stringify(text);
}
