import { checkFaviconDataUri } from '../../table/favicon.ts';
import type { TableProblem } from '../../table/errors.ts';
import type { Route } from '../../table/types.ts';

/** A remote table cannot point at files on the router's disk: favicons must travel inside it, as PNG data URIs. */
export function embeddedFaviconProblem(route: Route, index: number): TableProblem | undefined {
  const favicon = route.status.favicon;
  if (favicon === undefined) return undefined;
  const path = `routes[${index}].status.favicon`;
  if (!favicon.startsWith('data:')) {
    return { path, message: 'must be a data:image/png;base64 URI in a signed table (passagectl table sign inlines favicon files)' };
  }
  try {
    checkFaviconDataUri(favicon, path);
  } catch (err) {
    return { path, message: (err as Error).message };
  }
  return undefined;
}
