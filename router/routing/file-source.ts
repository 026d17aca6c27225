import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseRoutingTable } from '../table/schema.ts';
import type { Route, RoutingTable } from '../table/types.ts';
import { checkFaviconDataUri, loadFavicon } from '../table/favicon.ts';
import { statusJsonProblem } from '../table/bounds.ts';
import { tomlToJsonValues } from '../table/toml.ts';
import { PassageError } from '../errors.ts';

export class TableFileError extends PassageError {
  readonly code = 'ERR_TABLE_FILE';
}

/** Reads a routes file (TOML, or the same shape as JSON), validates it and inlines favicons. */
export function loadTableFile(path: string): RoutingTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TableFileError(`${path}: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  return parseTableFile(path, text);
}

/** The table of a routes file's text, read from `path` (whose name says TOML or JSON, and beside which favicons are). */
export function parseTableFile(path: string, text: string): RoutingTable {
  let doc: unknown;
  try {
    doc = extname(path) === '.json' ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new TableFileError(`${path}: invalid ${extname(path) === '.json' ? 'JSON' : 'TOML'}${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  let table: RoutingTable;
  try {
    // The operator's own file on this disk: it may name files beside it (favicons), and loadFavicon keeps them there.
    table = parseRoutingTable(tomlToJsonValues(doc), { origin: 'local' });
  } catch (err) {
    throw new TableFileError(`${path}: ${(err as Error).message}`);
  }
  return inlineFavicons(table, dirname(path), path);
}

export function inlineFavicons(table: RoutingTable, baseDir: string, name: string): RoutingTable {
  const problems: string[] = [];
  const routes = table.routes.map((route, i): Route => {
    const favicon = route.status.favicon;
    if (favicon === undefined) return route;
    try {
      const uri = favicon.startsWith('data:') ? checkFaviconDataUri(favicon, `routes[${i}].status.favicon`) : loadFavicon(favicon, baseDir);
      const status = { ...route.status, favicon: uri };
      // The loaded favicon counts towards the status JSON's String(32767) with the MOTD.
      const problem = statusJsonProblem(status);
      if (problem !== undefined) problems.push(`routes[${i}].status: ${problem}`);
      return { ...route, status };
    } catch (err) {
      problems.push(`routes[${i}].status.favicon: ${(err as Error).message}`);
      return route;
    }
  });
  if (problems.length > 0) throw new TableFileError(`${name}: ${problems.join('; ')}`);
  return { ...table, routes };
}
