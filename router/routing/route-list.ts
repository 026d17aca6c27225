// The routes of a table in use, read by position. A table read whole (a file, a small envelope) keeps
// its Route objects in an array; a big one keeps them as bytes outside the V8 heap and makes a Route
// when one is asked for (compact-routes.ts): 100,000 routes as objects are ~100 MB of small objects
// that every major GC walks, a pause of 15-30 ms on the bench VM (docs/BENCHMARKS.md).

import type { Route } from '../table/types.ts';

export interface RouteList extends Iterable<Route> {
  readonly length: number;
  /** The route at `i`, kept for the next caller (connections resolve the same routes again and again). */
  at(i: number): Route;
  /** The route at `i` without keeping it: for walks over the whole table (a handover, a listing). */
  read(i: number): Route;
}

export class ArrayRouteList implements RouteList {
  private readonly routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    this.routes = routes;
  }

  get length(): number {
    return this.routes.length;
  }

  at(i: number): Route {
    const route = this.routes[i];
    if (route === undefined) throw new RangeError(`no route ${i} in a table of ${this.routes.length}`);
    return route;
  }

  read(i: number): Route {
    return this.at(i);
  }

  [Symbol.iterator](): Iterator<Route> {
    return this.routes[Symbol.iterator]();
  }
}
