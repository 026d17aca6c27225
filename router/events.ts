// The core publishes what happens on node:diagnostics_channel; metrics (and anything else, such as
// tests or tracing) subscribe. The core imports no metrics library.
import { channel } from 'node:diagnostics_channel';

export type Intent = 'status' | 'login' | 'transfer' | 'legacy' | 'unknown';

export interface ConnectionOpened {
  readonly remote: string;
}
export interface ConnectionClosed {
  readonly intent: Intent;
  /** How the connection ended: transferred, status, disconnected, error, timeout, client_closed, ... */
  readonly outcome: string;
  readonly durationSeconds: number;
}
export interface ErrorEvent {
  /** A stable code (`ERR_FRAME_TOO_LARGE`, `ERR_AUTH_NOT_VERIFIED`, ...). */
  readonly kind: string;
  readonly intent: Intent;
}
export interface AuthEvent {
  readonly result: 'ok' | 'failed' | 'offline' | 'cookie';
  readonly durationSeconds: number;
}
export interface TransferEvent {
  readonly route: string;
  readonly target: string;
}
export interface HandshakeEvent {
  readonly intent: Intent;
  readonly route: string;
  readonly protocol: number;
}
export interface StatusEvent {
  readonly route: string;
  readonly durationSeconds: number;
}
export interface DisconnectEvent {
  /** The message key shown to the player. */
  readonly reason: string;
}

export const events = {
  connectionOpened: channel('passage:connection:opened'),
  connectionClosed: channel('passage:connection:closed'),
  error: channel('passage:error'),
  auth: channel('passage:auth'),
  transfer: channel('passage:transfer'),
  handshake: channel('passage:handshake'),
  status: channel('passage:status'),
  disconnect: channel('passage:disconnect'),
};

/** Publishes `message` tagged with its source (the router instance), only when someone listens. */
export function publish<T extends object>(ch: ReturnType<typeof channel>, source: object, message: T): void {
  if (ch.hasSubscribers) ch.publish({ source, ...message });
}
