// Bounds on what a table or an adapter puts in front of players. The encoders check the same limits
// again (router/protocol), but a value refused here is refused once, with its path, when the table or
// the adapter answer arrives, instead of failing every connection that would have carried it.
import { modifiedUtf8Length } from '../protocol/nbt.ts';
import { MAX_NBT_STRING_BYTES, MAX_STATUS_JSON_CHARS, MAX_STRING_CHARS } from '../protocol/limits.ts';
import { textComponent } from '../protocol/text.ts';
import { MAX_FAVICON_BYTES } from './favicon.ts';
import type { RouteStatus } from './types.ts';

/** Player-facing text (MOTD, disconnect text, pack prompt, message template), measured as its JSON. */
export const MAX_TEXT_CHARS = MAX_STRING_CHARS;
/** Nesting of a JSON text component (`extra` inside `extra`); the client's NBT reader stops at 512. */
export const MAX_TEXT_DEPTH = 64;
/** The server list shows a version name on one line. */
export const MAX_VERSION_NAME_CHARS = 256;
/** `data:image/png;base64,` and the base64 of the largest favicon the router accepts. */
export const MAX_FAVICON_URI_CHARS = 'data:image/png;base64,'.length + Math.ceil(MAX_FAVICON_BYTES / 3) * 4;
/** Room in the status JSON for what the router adds around a route's status (numbers, keys). */
const STATUS_JSON_MARGIN = 64;
const MAX_INT = 2 ** 31 - 1;

/**
 * Why a text value cannot be sent, or undefined: its JSON must fit a String(32767) (Login Disconnect
 * and the status description carry JSON), each of its strings an NBT string (configuration-state
 * text is NBT), and it must not nest deeper than MAX_TEXT_DEPTH.
 */
export function textProblem(text: unknown): string | undefined {
  const json = JSON.stringify(textComponent(text)) ?? '';
  if (json.length > MAX_TEXT_CHARS) return `is ${json.length} characters as JSON text, the limit is ${MAX_TEXT_CHARS}`;
  return walk(text, 0);
}

function walk(value: unknown, depth: number): string | undefined {
  if (depth > MAX_TEXT_DEPTH) return `nests deeper than ${MAX_TEXT_DEPTH} levels`;
  if (typeof value === 'string') {
    const bytes = modifiedUtf8Length(value);
    return bytes > MAX_NBT_STRING_BYTES ? `has a string of ${bytes} bytes (modified UTF-8), the limit is ${MAX_NBT_STRING_BYTES}` : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const problem = walk(key, depth + 1) ?? walk(item, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Why a status cannot be sent, or undefined. The Status Response is a String(32767) that holds the
 * MOTD, the version name and the favicon together, so their sum is bounded, not only each of them.
 * A favicon given as a file path is measured once it is loaded (file sources call this again).
 */
export function statusJsonProblem(status: RouteStatus): string | undefined {
  const worst = JSON.stringify({
    version: { name: status.versionName ?? 'x'.repeat(MAX_VERSION_NAME_CHARS), protocol: MAX_INT },
    players: { max: status.maxPlayers, online: MAX_INT },
    description: textComponent(status.motd),
    ...(status.favicon === undefined ? {} : { favicon: status.favicon }),
  });
  const limit = MAX_STATUS_JSON_CHARS - STATUS_JSON_MARGIN;
  if (worst.length <= limit) return undefined;
  return `makes a status JSON of ${worst.length} characters (MOTD, version name and favicon together), the limit is ${limit}: use a smaller favicon or a shorter MOTD`;
}
