import type { Logger } from 'pino';
import type { ServerKeyPair } from './auth/encryption.ts';
import type { SessionServerClient } from './auth/session-server.ts';
import type { PassageConfig } from './config/schema.ts';
import type { Messages } from './messages/messages.ts';
import type { TableStore } from './routing/store.ts';

/** What every connection of one router shares. Built once in the Router; tests build their own. */
export interface RouterContext {
  readonly config: PassageConfig;
  readonly keys: ServerKeyPair;
  readonly sessionServer: SessionServerClient;
  readonly tables: TableStore;
  /** Built-in text with the config's overrides; a table's own `messages` are layered on per table. */
  readonly messages: Messages;
  /** Auth-cookie secrets (the first signs, all verify); undefined: cookies off. */
  readonly cookieSecrets: readonly Buffer[] | undefined;
  /** Wall clock in ms (injectable for cookie expiry tests). */
  readonly now: () => number;
  readonly log: Logger;
  /** Tags diagnostics-channel events so metrics count this router's events only. */
  readonly source: object;
  /** Rate budgets and pending-connection caps; absent in contexts built by tests: everything is admitted. */
  readonly admission?: import('./limits/admission.ts').Admission;
  /** Day-one versions: the `[protocol]` policy for newer protocols, and the ones seen so far. */
  readonly newerProtocols: import('./connection/newer-protocols.ts').NewerProtocols;
  /** Round-robin counters per route. */
  readonly counters: Map<string, number>;
  readonly random: () => number;
  /** True once SIGTERM arrived: new logins are refused with a message, in-flight ones finish. */
  draining: boolean;
  /** Passthrough relay sessions, player slots and the backend status cache; drain closes the sessions at its deadline. */
  readonly relays: import('./relay/relays.ts').Relays;
  /** Wake on join: probes and wakes sleeping targets; absent in contexts built by tests: no target is woken. */
  readonly wake?: import('./wake/waker.ts').Waker;
}
