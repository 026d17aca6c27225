import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { MESSAGE_KEYS } from './catalog.ts';
import type { Catalog } from './catalog.ts';
import { PassageError } from '../errors.ts';

export class MessagesFileError extends PassageError {
  readonly code = 'ERR_MESSAGES_FILE';
}

/**
 * Reads `[messages] file`: a TOML file of `[locale]` tables of `key = "text"`, e.g.
 * `[de_de]\nno_target = "Gerade ist kein Server frei."`. Unknown keys are errors.
 */
export function loadMessagesFile(path: string): Catalog | undefined {
  if (path === '') return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new MessagesFileError(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const problems: string[] = [];
  const out: Record<string, Record<string, string>> = {};
  for (const [locale, texts] of Object.entries(doc)) {
    if (!/^[a-z]{2,3}(_[a-z0-9]{2,8})?$/i.test(locale)) problems.push(`${locale}: not a locale like "en_us" or "de"`);
    else if (texts === null || typeof texts !== 'object' || Array.isArray(texts)) problems.push(`${locale}: expected a table of messages`);
    else {
      const entry: Record<string, string> = {};
      for (const [key, text] of Object.entries(texts)) {
        if (!(MESSAGE_KEYS as readonly string[]).includes(key)) problems.push(`${locale}.${key}: unknown message key (known: ${MESSAGE_KEYS.join(', ')})`);
        else if (typeof text !== 'string') problems.push(`${locale}.${key}: expected a string`);
        else entry[key] = text;
      }
      out[locale.toLowerCase()] = entry;
    }
  }
  if (problems.length > 0) throw new MessagesFileError(`${path}: ${problems.join('; ')}`);
  return out;
}
