// The core publishes what happens on node:diagnostics_channel; metrics (and anything else, such as
// tests or tracing) subscribe. The core imports no metrics library.
import { channel } from 'node:diagnostics_channel';

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

export const events = {
  adapterCall: channel('passage:adapter:call'),
  adapterTargets: channel('passage:adapter:targets'),
  cookie: channel('passage:auth:cookie'),
  resourcePack: channel('passage:resource_pack'),
  connectionOpened: channel('passage:connection:opened'),
  connectionClosed: channel('passage:connection:closed'),
  error: channel('passage:error'),
  auth: channel('passage:auth'),
  transfer: channel('passage:transfer'),
  handshake: channel('passage:handshake'),
  status: channel('passage:status'),
  disconnect: channel('passage:disconnect'),
  loginProtocol: channel('passage:login:protocol'),
  newerProtocolFailure: channel('passage:protocol:newer_failure'),
  tableFetch: channel('passage:table:fetch'),
  tableRejected: channel('passage:table:rejected'),
  tableApplied: channel('passage:table:applied'),
  rateLimited: channel('passage:rate_limited'),
  rateLimiterSize: channel('passage:rate_limiter:size'),
  connectionRejected: channel('passage:connection:rejected'),
  proxyHeaderError: channel('passage:proxy:error'),
  relayStarted: channel('passage:relay:started'),
  relayBytes: channel('passage:relay:bytes'),
  relayEnded: channel('passage:relay:ended'),
  relayStatus: channel('passage:relay:status'),
};

/** Publishes `message` tagged with its source (the router instance), only when someone listens. */
export function publish<T extends object>(ch: ReturnType<typeof channel>, source: object, message: T): void {
  if (ch.hasSubscribers) ch.publish({ source, ...message });
}
