// Shared documents and clocks for the routing-table tests.

import { DEFAULT_MAX_TABLE_BYTES, type VerifyOptions } from '../../router/table/envelope.ts';

export const NOW = Date.parse('2025-06-01T12:00:00Z');
export const HOUR = 3_600_000;

/** A PNG data URI as the schema reads it (the schema checks its syntax; the PNG itself is checked when a file is inlined). */
export const EXAMPLE_FAVICON = 'data:image/png;base64,iVBORw0KGgo=';

/** The example table of the configuration contract, as a JSON document; a fresh copy each call. */
export function exampleDocument(): Record<string, unknown> {
  return {
    table_id: 'prod',
    version: 7,
    routes: [
      {
        id: 'lobby',
        hosts: ['play.example.com', '*.example.com'],
        mode: 'transfer',
        strategy: 'priority',
        // Inline: a signed table may not name a file (a local routes file may; see trust-boundary.test.ts).
        status: { motd: 'Welcome', max_players: 1000, favicon: EXAMPLE_FAVICON },
        targets: [
          { id: 'lobby-1', address: '10.0.0.5:25565', priority: 0, meta: { players: '12' } },
          { id: 'lobby-2', address: '[2001:db8::7]:25566', priority: 1 },
        ],
      },
      { id: 'default', hosts: ['*'], targets: [{ id: 'fallback', address: 'fallback.internal:25565' }] },
    ],
  };
}

export function verifyOptions(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { maxBytes: DEFAULT_MAX_TABLE_BYTES, expectedTableId: 'prod', now: NOW, skewMs: 60_000, ...overrides };
}
