import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PassageError } from '../errors.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The client draws a 64×64 icon; a larger file only costs bandwidth on every ping. */
export const FAVICON_SIZE = 64;
export const MAX_FAVICON_BYTES = 64 * 1024;

export class FaviconError extends PassageError {
  readonly code = 'ERR_FAVICON';
}

/** Checks a PNG (signature, IHDR size 64×64, byte cap) and returns it as a data URI. */
export function pngToDataUri(png: Buffer, name: string): string {
  if (png.length > MAX_FAVICON_BYTES) throw new FaviconError(`${name}: ${png.length} bytes, limit ${MAX_FAVICON_BYTES}`);
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new FaviconError(`${name}: not a PNG file`);
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width !== FAVICON_SIZE || height !== FAVICON_SIZE) {
    throw new FaviconError(`${name}: ${width}×${height} pixels, the server list needs ${FAVICON_SIZE}×${FAVICON_SIZE}`);
  }
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Reads a favicon a local routes file names, confined to `baseDir` (the routes file's folder): an
 * absolute path, `..`, or a symlink whose target lies outside the folder is refused, and only a regular
 * file of at most MAX_FAVICON_BYTES is read. Symlinks inside the folder are fine (a Kubernetes ConfigMap
 * mount is made of them).
 */
export function loadFavicon(path: string, baseDir: string): string {
  const fail = (why: string): never => {
    throw new FaviconError(`${path}: ${why}`);
  };
  if (path.includes('\0') || isAbsolute(path) || path.split(/[\\/]/).includes('..')) fail(`must be a file in the routes file's folder (${baseDir}), not an absolute path or one with ".."`);
  let file: string;
  let size: number;
  try {
    const folder = realpathSync(baseDir);
    file = realpathSync(resolve(folder, path));
    const inside = relative(folder, file);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      return fail(`leads out of the routes file's folder (${baseDir}) through a symlink: copy the file there`);
    }
    const stat = statSync(file);
    if (!stat.isFile()) return fail('is not a regular file');
    size = stat.size;
  } catch (err) {
    if (err instanceof FaviconError) throw err;
    return fail(`cannot read favicon (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // Checked before reading, so a huge file is never loaded just to be refused.
  if (size > MAX_FAVICON_BYTES) fail(`${size} bytes, limit ${MAX_FAVICON_BYTES}`);
  let png: Buffer;
  try {
    png = readFileSync(file);
  } catch (err) {
    return fail(`cannot read favicon (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return pngToDataUri(png, path);
}

/** Checks a data URI given inline in a table. */
export function checkFaviconDataUri(uri: string, name: string): string {
  const prefix = 'data:image/png;base64,';
  if (!uri.startsWith(prefix)) throw new FaviconError(`${name}: expected a data:image/png;base64 URI`);
  pngToDataUri(Buffer.from(uri.slice(prefix.length), 'base64'), name);
  return uri;
}
