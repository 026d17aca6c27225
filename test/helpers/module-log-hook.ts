// Preloaded with `node --import` by tests that check which modules a router loads: records the URL
// of every module resolved (ESM imports and require() alike, via module.registerHooks) and writes the
// list, one URL per line, to the file named by PASSAGE_MODULE_LOG when the process exits. Node's own
// modules, including those its internals load (undici behind a lazy getter, cluster behind listen()),
// follow as `builtin:<name>` lines, from process.moduleLoadList.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.PASSAGE_MODULE_LOG;
if (out !== undefined && out !== '') {
  const seen = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      seen.add(result.url);
      return result;
    },
  });
  process.on('exit', () => {
    const { moduleLoadList } = process as unknown as { moduleLoadList: readonly string[] };
    const builtins = moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => `builtin:${m.slice('NativeModule '.length)}`);
    writeFileSync(out, [...seen, ...builtins].join('\n') + '\n');
  });
}
