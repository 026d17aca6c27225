import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The client draws a 64×64 icon; a larger file only costs bandwidth on every ping. */
export const FAVICON_SIZE = 64;
export const MAX_FAVICON_BYTES = 64 * 1024;

export class FaviconError extends Error {
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

export function loadFavicon(path: string, baseDir: string): string {
  const file = resolve(baseDir, path);
  let png: Buffer;
  try {
    png = readFileSync(file);
  } catch (err) {
    throw new FaviconError(`${path}: cannot read favicon (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
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
