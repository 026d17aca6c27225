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
  readonly messages: Messages;
  readonly log: Logger;
  /** Tags diagnostics-channel events so metrics count this router's events only. */
  readonly source: object;
  /** Round-robin counters per route. */
  readonly counters: Map<string, number>;
  readonly random: () => number;
  /** True once SIGTERM arrived: new logins are refused with a message, in-flight ones finish. */
  draining: boolean;
}
