// Second half of `npm run build`, after tsc: the files the compiled router reads beside its own code.
// dist/router/version.js reads ../package.json and dist/router/adapters/grpc.js reads
// ../../proto/…, so dist/ gets a package.json (name, version, and "type": "module" for the .js files)
// and a copy of proto/. Usage: node scripts/build/assets.ts [OUT_DIR] (default dist/, as tsc's outDir).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);
const out = process.argv[2];
const dist = out === undefined ? new URL('dist/', root) : pathToFileURL(`${out.replace(/\/$/, '')}/`);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { name: string; version: string };
writeFileSync(new URL('package.json', dist), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2)}\n`);
cpSync(new URL('proto/', root), new URL('proto/', dist), { recursive: true });
