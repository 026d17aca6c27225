// The router's `passage.toml` as other processes write it: the CDK app for every region's tasks
// (infra/constructs/router-config.ts) and passagectl for local routers (cli/deploy/local-fleet.ts).
// Callers build a PassageConfigDocument, whose keys and value types come from the router's own schema
// (router/config/schema.ts); the text has one `[section]` per top-level table, deeper tables inline
// (`dynamodb = { table = "passage", … }`), the shape operators write by hand. renderCheckedPassageToml
// also runs the router's loader on the text, so no tool writes a config `passage --config` refuses.

import { parseConfigText } from '../config/load.ts';
import type { PassageConfig, PassageConfigDocument } from '../config/schema.ts';

export type { PassageConfigDocument };
/** `[log] level`: one of the levels the router's schema allows. */
export type RouterLogLevel = NonNullable<NonNullable<PassageConfigDocument['log']>['level']>;

export interface RenderOptions {
  /** Lines for a comment block at the top (why the file looks as it does, who wrote it). */
  readonly comment?: readonly string[];
}

export function renderPassageToml(doc: PassageConfigDocument, opts: RenderOptions = {}): string {
  const lines = (opts.comment ?? []).map((line) => (line === '' ? '#' : `# ${line}`));
  const entries = Object.entries(doc as Record<string, unknown>).filter(([, v]) => v !== undefined);
  for (const [key, value] of entries) if (!isTable(value)) lines.push(`${tomlKey(key)} = ${tomlValue(value)}`);
  for (const [key, value] of entries) {
    if (!isTable(value)) continue;
    const body = Object.entries(value).filter(([, v]) => v !== undefined);
    if (body.length === 0) continue;
    lines.push('', `[${tomlKey(key)}]`, ...body.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`));
  }
  return `${lines.join('\n')}\n`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f' };

/** A TOML basic string: `"` and `\` escaped, and every control character TOML forbids raw. */
function tomlString(text: string): string {
  const escaped = text.replace(/["\\\u0000-\u001f\u007f]/g, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

function tomlValue(value: unknown): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    // A caller's bug (the schema has no such value): refuse rather than write `NaN` the loader misreads.
    if (!Number.isFinite(value)) throw new TypeError(`passage.toml cannot hold the number ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (isTable(value)) {
    const body = Object.entries(value).filter(([, v]) => v !== undefined);
    return body.length === 0 ? '{}' : `{ ${body.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(', ')} }`;
  }
  throw new TypeError(`passage.toml cannot hold ${typeof value}`);
}

export interface CheckedPassageToml {
  readonly text: string;
  /** What the router makes of the text. */
  readonly config: PassageConfig;
}

/**
 * Renders and loads the result as `passage --config <file>` would (with an empty environment, so the
 * result does not depend on the machine that renders it). Throws the loader's ConfigError on refusal.
 */
export function renderCheckedPassageToml(doc: PassageConfigDocument, file: string, opts: RenderOptions = {}): CheckedPassageToml {
  const text = renderPassageToml(doc, opts);
  return { text, config: parseConfigText(text, file, {}) };
}
