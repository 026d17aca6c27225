// A table's parts (build-active.ts, TableParts) as a worker thread posts them to the event loop: the
// segments on SharedArrayBuffers (shared, not copied) and the key tables' ArrayBuffers transferred.
// Used by every thread that builds a table: a chunked table's, a big routes file's, a handed-over one's.
import { KeyTable, keyTableBuffers, type KeyTableState } from '../table/key-table.ts';
import type { TableParts } from './build-active.ts';
import { receivedSegment, type RouteSegment } from './compact-routes.ts';

export interface WireParts<S = RouteSegment> {
  readonly segments: readonly S[];
  readonly exact: KeyTableState;
  readonly wildcards: KeyTableState;
  readonly fallback: number | undefined;
  readonly adapterPositions: readonly number[];
}

/** The parts as a message, and the buffers to transfer with it; `segment` says what of each segment to send. */
export function toWire<S = RouteSegment>(parts: TableParts, segment: (s: RouteSegment, i: number) => S = (s) => s as S): { readonly wire: WireParts<S>; readonly transfer: ArrayBuffer[] } {
  const exact = parts.index.exact.toState();
  const wildcards = parts.index.wildcards.toState();
  return {
    wire: { segments: parts.segments.map(segment), exact, wildcards, fallback: parts.index.fallback, adapterPositions: parts.adapterPositions },
    transfer: [...keyTableBuffers(exact), ...keyTableBuffers(wildcards)],
  };
}

/** The parts a message carried; `segment` turns what was sent of each segment back into one. */
export function fromWire<S = RouteSegment>(wire: WireParts<S>, segment: (s: S, i: number) => RouteSegment | undefined = (s) => receivedSegment(s as RouteSegment)): TableParts {
  const segments = wire.segments.map((s, i) => segment(s, i));
  if (segments.some((s) => s === undefined)) throw new RangeError('a table thread left out a segment it was not given');
  return {
    segments: segments as RouteSegment[],
    index: { exact: KeyTable.fromState(wire.exact), wildcards: KeyTable.fromState(wire.wildcards), fallback: wire.fallback },
    adapterPositions: wire.adapterPositions,
  };
}
