// The core publishes what happens on node:diagnostics_channel; metrics (and anything else, such as
// tests or tracing) subscribe. The core imports no metrics library.
import { channel, subscribe as subscribeChannel, unsubscribe as unsubscribeChannel } from 'node:diagnostics_channel';
import type { Channel } from 'node:diagnostics_channel';
import type { ChunkCheck } from './table/errors.ts';

export type Intent = 'status' | 'login' | 'transfer' | 'legacy' | 'unknown';

/** Events of one client connection carry its id (unique per process), so tracing can follow a connection. */
export interface ConnectionScoped {
  readonly connectionId?: number;
}

export interface ConnectionOpened extends ConnectionScoped {
  readonly remote: string;
}
export interface ConnectionClosed extends ConnectionScoped {
  readonly intent: Intent;
  /** How the connection ended: transferred, status, disconnected, error, timeout, client_closed, ... */
  readonly outcome: string;
  readonly durationSeconds: number;
}
export interface ErrorEvent extends ConnectionScoped {
  /** A stable code (`ERR_FRAME_TOO_LARGE`, `ERR_AUTH_NOT_VERIFIED`, ...). */
  readonly kind: string;
  readonly intent: Intent;
}
export interface AuthEvent extends ConnectionScoped {
  readonly result: 'ok' | 'failed' | 'offline' | 'cookie';
  readonly durationSeconds: number;
}
export interface TransferEvent extends ConnectionScoped {
  readonly route: string;
  readonly target: string;
}
export interface HandshakeEvent extends ConnectionScoped {
  readonly intent: Intent;
  readonly route: string;
  readonly protocol: number;
}
export interface StatusEvent {
  readonly route: string;
  readonly durationSeconds: number;
}
/** A login (intent 2 or 3) on a transfer route, classed by its protocol: a known release or a newer one. */
export interface LoginProtocolEvent extends ConnectionScoped {
  readonly protocol: number;
  readonly support: 'known' | 'newer';
  /** `refused`: a newer protocol turned away by `[protocol] newer` or `max_protocol`. */
  readonly result: 'accepted' | 'refused';
}
/** A packet of a newer-protocol login failed to decode with the newest known layout. */
export interface NewerProtocolFailureEvent extends ConnectionScoped {
  readonly protocol: number;
  /** The bounded metric label: the protocol number while it is tracked, else `other`. */
  readonly label: string;
  /** The stable ProtocolError code. */
  readonly kind: string;
}
export interface DisconnectEvent extends ConnectionScoped {
  /** The message key shown to the player. */
  readonly reason: string;
}

/** One fetch from the table source (file, http, dynamodb), successful or not. */
export interface TableFetchEvent {
  /** `envelope` (bytes fetched), `not_modified` (304, unchanged file) or `error`. */
  readonly result: 'envelope' | 'not_modified' | 'error';
  readonly durationSeconds: number;
  /** A stable error code when result is `error` (`ERR_SOURCE_TIMEOUT`, `ERR_SOURCE_HTTP_STATUS`, ...). */
  readonly kind?: string;
}
/** A fetched table that was refused; the last good table stays in use. */
export interface TableRejectedEvent {
  /** A stable code: the TableError code (`ERR_TABLE_SIGNATURE`, ...) or a source-level one. */
  readonly reason: string;
}
/** A table was swapped in (from the source or from the cache at start). */
export interface TableAppliedEvent {
  readonly tableId: string;
  readonly version: number;
  /** Milliseconds since the epoch; absent for unsigned local files. */
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly origin: 'source' | 'cache';
  /** Chunks the router holds for the table now in use (0 for a small single envelope). */
  readonly chunksHeld?: number;
}
/** Chunks of a chunked (or big single) table read while one table was assembled, once per assembly. */
export interface TableChunksFetchedEvent {
  readonly origin: 'source' | 'cache';
  readonly count: number;
}
/**
 * A poll that ended with no table to consider or apply: the fetch failed, a chunk could not be read, or
 * the router's own work on it failed (a table build thread that crashed). The last good table stays.
 */
export interface TablePollFailedEvent {
  /** A stable code: a SourceErrorCode, ERR_TABLE_THREAD (a table thread failed) or ERR_SOURCE_INTERNAL (another failure of the router's own). */
  readonly kind: string;
}
/** A chunk refused against its manifest entry; the table is refused and the last good one kept. */
export interface TableChunkRefusedEvent {
  /** `size`, `sha256` or `content` (not canonical JSON, wrong route count). */
  readonly check: ChunkCheck;
  readonly origin: 'source' | 'cache';
}

/** An auth cookie looked at in the login state: `valid`, or why it was not used. */
export interface CookieEvent {
  readonly result: string;
}
/** A final resource-pack result from a client. */
export interface ResourcePackEvent {
  readonly route: string;
  readonly pack: string;
  readonly result: string;
}

export interface RateLimitedEvent {
  /** Which budget was spent: `status` (pings) or `login`. */
  readonly budget: 'status' | 'login';
}
export interface RateLimiterSizeEvent {
  readonly budget: 'status' | 'login';
  /** Client keys currently tracked. */
  readonly size: number;
}
export interface ConnectionRejectedEvent {
  /** The cap that was full: `max_pending` (global) or `max_pending_per_ip`. */
  readonly reason: 'max_pending' | 'max_pending_per_ip';
}
export interface ProxyHeaderErrorEvent {
  /** ERR_PROXY_MISSING, ERR_PROXY_MALFORMED, ERR_PROXY_TIMEOUT, ERR_PROXY_UNTRUSTED, ... */
  readonly kind: string;
}
/** A passthrough relay connected its backend and started copying. */
export interface RelayStartedEvent {
  readonly route: string;
  readonly target: string;
}
/** Bytes relayed since the last report (reported about once a second and at the end). */
export interface RelayBytesEvent {
  readonly route: string;
  readonly toBackend: number;
  readonly toClient: number;
}
export interface RelayEndedEvent {
  readonly route: string;
  readonly target: string;
  /** client_closed, backend_closed, client_error, backend_error, read_timeout, write_timeout, drain. */
  readonly reason: string;
  readonly durationSeconds: number;
}
/** A status ping on a passthrough route: how the backend's answer was found (hit, miss, coalesced, failed, busy). */
export interface RelayStatusEvent {
  readonly route: string;
  readonly result: string;
}

/** One call of a route adapter (router/adapters/): a discovery refresh, a status fetch or a strategy Apply. */
export interface AdapterCallEvent {
  /** `http`, `grpc`, `dns` or `kubernetes`. */
  readonly adapter: string;
  readonly kind: 'discovery' | 'status' | 'strategy';
  readonly route: string;
  /** `not_modified`: a 304 or an unchanged answer; the cached result stays. */
  readonly result: 'ok' | 'not_modified' | 'error';
  readonly durationSeconds: number;
  /** A stable error code when result is `error` (`ERR_ADAPTER_TIMEOUT`, ...). */
  readonly code?: string;
}
/** The targets a discovery adapter currently serves for a route (last good result). */
export interface AdapterTargetsEvent {
  readonly adapter: string;
  readonly route: string;
  readonly targets: number;
}

/** A wake of a sleeping target ended (router/wake/): once per wake, however many players shared it. */
export interface WakeEvent {
  readonly route: string;
  readonly target: string;
  /** `ready` (answered a status ping), `timeout` (not within wake_timeout) or `error` (the scale API failed). */
  readonly outcome: 'ready' | 'timeout' | 'error';
  /** The WakeError code; empty when ready. */
  readonly code: string;
  /** Whether this router scaled the target (0 → 1) or found it already scaled up. */
  readonly scaled: boolean;
  readonly durationSeconds: number;
}
/** A player is held in the configuration phase while a target wakes. */
export interface WakeHoldEvent extends ConnectionScoped {
  readonly route: string;
}
/** A held player's wait ended: transferred, timeout, error (the wake failed) or left (the client went away). */
export interface WakeWaitEvent extends ConnectionScoped {
  readonly route: string;
  readonly outcome: 'transferred' | 'timeout' | 'error' | 'left';
  readonly durationSeconds: number;
}

/**
 * Every channel the router publishes on, by name, with the type of its messages: `publish` and
 * `subscribe` take a channel of this map, so the compiler checks each message against its channel's
 * type at both ends. A new event is one line here, its message interface above, and a key in `events`.
 */
/** A login refused by the route's edge policy (router/routing/access.ts, the login hook). */
export interface AccessDeniedEvent extends ConnectionScoped {
  readonly route: string;
  /** deny_ip, deny_player, not_allowed, maintenance, hook_deny, hook_error. */
  readonly reason: string;
}
/** One login-hook call and what it decided (`error`: failed, late or garbled; on_error decided). */
export interface LoginHookEvent extends ConnectionScoped {
  readonly route: string;
  readonly result: 'allow' | 'deny' | 'target' | 'error';
  readonly code?: string;
  readonly durationSeconds: number;
}

export interface EventMap {
  'passage:access:denied': AccessDeniedEvent;
  'passage:login_hook': LoginHookEvent;
  'passage:adapter:call': AdapterCallEvent;
  'passage:adapter:targets': AdapterTargetsEvent;
  'passage:auth:cookie': CookieEvent;
  'passage:resource_pack': ResourcePackEvent;
  'passage:connection:opened': ConnectionOpened;
  'passage:connection:closed': ConnectionClosed;
  'passage:error': ErrorEvent;
  'passage:auth': AuthEvent;
  'passage:transfer': TransferEvent;
  'passage:handshake': HandshakeEvent;
  'passage:status': StatusEvent;
  'passage:disconnect': DisconnectEvent;
  'passage:login:protocol': LoginProtocolEvent;
  'passage:protocol:newer_failure': NewerProtocolFailureEvent;
  'passage:table:fetch': TableFetchEvent;
  'passage:table:rejected': TableRejectedEvent;
  'passage:table:applied': TableAppliedEvent;
  'passage:table:chunks_fetched': TableChunksFetchedEvent;
  'passage:table:chunk_refused': TableChunkRefusedEvent;
  'passage:table:poll_failed': TablePollFailedEvent;
  'passage:rate_limited': RateLimitedEvent;
  'passage:rate_limiter:size': RateLimiterSizeEvent;
  'passage:connection:rejected': ConnectionRejectedEvent;
  'passage:proxy:error': ProxyHeaderErrorEvent;
  'passage:relay:started': RelayStartedEvent;
  'passage:relay:bytes': RelayBytesEvent;
  'passage:relay:ended': RelayEndedEvent;
  'passage:relay:status': RelayStatusEvent;
  'passage:wake': WakeEvent;
  'passage:wake:hold': WakeHoldEvent;
  'passage:wake:wait': WakeWaitEvent;
}

export type EventName = keyof EventMap;

/** What a subscriber receives: the message, tagged with the router instance that published it. */
export type Published<N extends EventName> = EventMap[N] & { readonly source: object };

declare const eventName: unique symbol;

/** A diagnostics channel that carries `EventMap[N]` (the name is a compile-time tag: at run time it is the plain channel). */
export type EventChannel<N extends EventName> = Channel & { readonly [eventName]: N };

function eventChannel<N extends EventName>(name: N): EventChannel<N> {
  return channel(name) as EventChannel<N>;
}

export const events = {
  accessDenied: eventChannel('passage:access:denied'),
  loginHook: eventChannel('passage:login_hook'),
  adapterCall: eventChannel('passage:adapter:call'),
  adapterTargets: eventChannel('passage:adapter:targets'),
  cookie: eventChannel('passage:auth:cookie'),
  resourcePack: eventChannel('passage:resource_pack'),
  connectionOpened: eventChannel('passage:connection:opened'),
  connectionClosed: eventChannel('passage:connection:closed'),
  error: eventChannel('passage:error'),
  auth: eventChannel('passage:auth'),
  transfer: eventChannel('passage:transfer'),
  handshake: eventChannel('passage:handshake'),
  status: eventChannel('passage:status'),
  disconnect: eventChannel('passage:disconnect'),
  loginProtocol: eventChannel('passage:login:protocol'),
  newerProtocolFailure: eventChannel('passage:protocol:newer_failure'),
  tableFetch: eventChannel('passage:table:fetch'),
  tableRejected: eventChannel('passage:table:rejected'),
  tableApplied: eventChannel('passage:table:applied'),
  tableChunksFetched: eventChannel('passage:table:chunks_fetched'),
  tableChunkRefused: eventChannel('passage:table:chunk_refused'),
  tablePollFailed: eventChannel('passage:table:poll_failed'),
  rateLimited: eventChannel('passage:rate_limited'),
  rateLimiterSize: eventChannel('passage:rate_limiter:size'),
  connectionRejected: eventChannel('passage:connection:rejected'),
  proxyHeaderError: eventChannel('passage:proxy:error'),
  relayStarted: eventChannel('passage:relay:started'),
  relayBytes: eventChannel('passage:relay:bytes'),
  relayEnded: eventChannel('passage:relay:ended'),
  relayStatus: eventChannel('passage:relay:status'),
  wake: eventChannel('passage:wake'),
  wakeHold: eventChannel('passage:wake:hold'),
  wakeWait: eventChannel('passage:wake:wait'),
} satisfies { readonly [key: string]: EventChannel<EventName> };

/**
 * Publishes `message` tagged with its source (the router instance), only when someone listens. The
 * message is tagged in place, not copied (a copy per event was a measurable share of a status
 * exchange): every caller passes a fresh object literal and keeps no reference to it.
 */
export function publish<N extends EventName>(ch: EventChannel<N>, source: object, message: EventMap[N]): void {
  if (!ch.hasSubscribers) return;
  (message as { source?: object }).source = source;
  ch.publish(message);
}

/**
 * Calls `fn` with every message on `ch` that `source` published (one process may run several
 * routers, as tests do); returns the unsubscribe function.
 */
export function subscribe<N extends EventName>(ch: EventChannel<N>, source: object, fn: (message: Published<N>) => void): () => void {
  const handler = (m: unknown): void => {
    if ((m as { source?: unknown }).source === source) fn(m as Published<N>);
  };
  subscribeChannel(ch.name, handler);
  return () => {
    unsubscribeChannel(ch.name, handler);
  };
}
