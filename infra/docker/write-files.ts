// Runs in the router container before `node router/main.ts`: writes the files the CDK stack rendered
// (passage.toml, trusted public keys) from the PASSAGE_FILES environment variable, a JSON object of
// absolute path → content. ECS has no way to mount small files, and the config differs per region.
// Only paths under /etc/passage/ are accepted, so a bad value cannot overwrite the image.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const ROOT = '/etc/passage/';

export function writeFiles(json: string | undefined, root = ROOT, write = writeFileAt): string[] {
  if (!json) return [];
  const files = JSON.parse(json) as unknown;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new Error('PASSAGE_FILES must be a JSON object of path → content');
  }
  const written: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const target = resolve(path);
    if (!target.startsWith(root)) throw new Error(`PASSAGE_FILES: ${path} is outside ${root}`);
    if (typeof content !== 'string') throw new Error(`PASSAGE_FILES: ${path} must map to a string`);
    write(target, content);
    written.push(target);
  }
  return written;
}

function writeFileAt(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o644 });
}

if (import.meta.main) {
  try {
    writeFiles(process.env.PASSAGE_FILES);
  } catch (error) {
    console.error(`write-files: ${(error as Error).message}`);
    process.exit(1);
  }
}
