// Relay defaults and bounds. A route's `timeouts` override the first three; the rest are fixed.

/** Per target address tried (Infrarust's `connect` timeout). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** No bytes from the backend for this long ends a session; servers send keep-alives every 15 s in play. */
export const DEFAULT_READ_TIMEOUT_MS = 30_000;
/** A peer that does not take what we write for this long ends a session. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;
/**
 * How often the router looks at every relay for an idle backend and flushes byte counts to metrics:
 * one timer for all sessions instead of a timer reset per chunk. The read timeout fires up to one
 * tick late.
 */
export const RELAY_TICK_MS = 1000;

/** A backend status answer is reused this long for the same route and client protocol. */
export const STATUS_CACHE_TTL_MS = 5000;
/** A failed status exchange is remembered this long, so a down backend is not asked on every ping. */
export const STATUS_FAILURE_TTL_MS = 1000;
/** Distinct (route, protocol) keys kept; protocol numbers come from clients, so the key space is theirs. */
export const MAX_STATUS_CACHE_ENTRIES = 1024;
/** Backend status exchanges in flight per route; a client cycling protocol numbers gets the fallback beyond this. */
export const MAX_STATUS_REQUESTS_PER_ROUTE = 8;
/** A status response is one String(32767) of JSON: at most 3 bytes per char plus the id and length. */
export const MAX_STATUS_RESPONSE_FRAME = 32767 * 3 + 8;
/** A backend gets this long to answer a status request (capped by the route's read timeout). */
export const STATUS_RESPONSE_TIMEOUT_MS = 3000;
