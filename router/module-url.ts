// The URL of a module beside the caller, for a Worker or a forked process to run. Written with the
// caller's own extension: the sources run as .ts in development and tests, the image runs the .js that
// `npm run build` compiled (tsc rewrites import specifiers, never a string inside `new URL`), so a
// literal './worker.ts' would name a file dist/ does not have.

/** `sibling(import.meta.url, 'worker')`: ./worker.ts beside a .ts caller, ./worker.js beside a .js one. */
export function siblingModule(callerUrl: string, name: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, callerUrl);
}
