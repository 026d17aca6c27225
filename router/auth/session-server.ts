import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { Agent as HttpAgent, request as httpRequest } from '../node-http.ts';
import { LogThrottle } from '../log-throttle.ts';
import { AuthError, type AuthErrorCode } from './errors.ts';
import type { GameProfile, ProfileProperty } from '../protocol/login.ts';
import { formatUuid } from '../protocol/reader.ts';

/** A hasJoined answer is a small JSON profile; anything larger is not a session server we trust. */
const MAX_PROFILE_BYTES = 64 * 1024;

/** Failures of the session server itself (not of a player who did not join): the operator's to know. */
const OUTAGE_CODES: ReadonlySet<AuthErrorCode> = new Set(['ERR_AUTH_SESSION_TIMEOUT', 'ERR_AUTH_SESSION_UNAVAILABLE', 'ERR_AUTH_BAD_PROFILE']);

export interface SessionServerOptions {
  /** Base URL, e.g. https://sessionserver.mojang.com (injectable so tests never reach Mojang). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

/**
 * The Mojang session server's `hasJoined`: 200 with a profile, 204 when the player did not join.
 * node:http(s) with a keep-alive agent rather than fetch: one login costs about half the CPU, and
 * logins are what an online-mode router spends its time on.
 */
export class SessionServerClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  /** One line per failure code per minute: an outage fails every login, and must not flood the log. */
  private readonly outageLog: LogThrottle;

  constructor(opts: SessionServerOptions & { readonly outageLogIntervalMs?: number }) {
    this.base = new URL(opts.baseUrl.replace(/\/+$/, '') + '/session/minecraft/hasJoined');
    this.timeoutMs = opts.timeoutMs;
    const secure = this.base.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 256 }) : new HttpAgent({ keepAlive: true, maxSockets: 256 });
    this.request = secure ? httpsRequest : httpRequest;
    this.outageLog = new LogThrottle(opts.outageLogIntervalMs);
  }

  /**
   * Logs a failed hasJoined at warn when the session server is at fault (unreachable, too slow, an
   * HTTP error, a bad profile), at most once a minute per kind, with the cause and how many were not
   * logged since. Players see "The login servers are not answering"; without this the operator saw nothing.
   */
  reportFailure(err: unknown, log: Logger, now = Date.now()): void {
    if (!(err instanceof AuthError) || !OUTAGE_CODES.has(err.code)) return;
    const admitted = this.outageLog.admit(err.code, now);
    if (admitted === undefined) return;
    log.warn(
      { code: err.code, cause: err.message, sessionServer: this.base.origin, suppressedSinceLast: admitted.suppressed },
      'the session server failed a login check: players see "The login servers are not answering"',
    );
  }

  hasJoined(username: string, serverHash: string, ip?: string): Promise<GameProfile> {
    const url = new URL(this.base);
    url.searchParams.set('username', username);
    url.searchParams.set('serverId', serverHash);
    if (ip !== undefined) url.searchParams.set('ip', ip);
    return new Promise<GameProfile>((resolve, reject) => {
      let settled = false;
      const finish = (err: AuthError | undefined, profile?: GameProfile): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err !== undefined) reject(err);
        else resolve(profile!);
      };
      // One deadline for the whole exchange (connect, headers, body), not a per-read idle timer.
      const deadline = setTimeout(() => {
        req.destroy();
        finish(new AuthError('ERR_AUTH_SESSION_TIMEOUT', `session server did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const req = this.request(url, { agent: this.agent, headers: { accept: 'application/json' } }, (res) => {
        const status = res.statusCode ?? 0;
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > MAX_PROFILE_BYTES) {
          res.destroy();
          finish(new AuthError('ERR_AUTH_BAD_PROFILE', `profile of ${declared} bytes, limit ${MAX_PROFILE_BYTES}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PROFILE_BYTES) {
            res.destroy();
            finish(new AuthError('ERR_AUTH_BAD_PROFILE', `profile larger than ${MAX_PROFILE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => finish(new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', `session server connection failed: ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 204 || (status === 200 && text.trim() === '')) {
            finish(new AuthError('ERR_AUTH_NOT_VERIFIED', `session server does not know ${username} joined`));
          } else if (status !== 200) {
            finish(new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', `session server answered HTTP ${status}`));
          } else {
            try {
              finish(undefined, parseProfile(text, username));
            } catch (err) {
              finish(err as AuthError);
            }
          }
        });
      });
      req.on('error', (err) => finish(new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', `session server unreachable: ${err.message}`)));
      req.end();
    });
  }

  /** Closes idle keep-alive sockets (on stop). */
  close(): void {
    this.agent.destroy();
  }
}

export function parseProfile(text: string, expectedName: string): GameProfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthError('ERR_AUTH_BAD_PROFILE', 'session server sent invalid JSON');
  }
  const p = doc as { id?: unknown; name?: unknown; properties?: unknown };
  if (typeof p.id !== 'string' || !/^[0-9a-fA-F]{32}$/.test(p.id.replace(/-/g, ''))) {
    throw new AuthError('ERR_AUTH_BAD_PROFILE', 'profile has no valid id');
  }
  if (typeof p.name !== 'string' || p.name.toLowerCase() !== expectedName.toLowerCase()) {
    throw new AuthError('ERR_AUTH_BAD_PROFILE', 'profile name does not match the player');
  }
  const properties: ProfileProperty[] = [];
  if (Array.isArray(p.properties)) {
    for (const prop of p.properties as { name?: unknown; value?: unknown; signature?: unknown }[]) {
      if (typeof prop?.name !== 'string' || typeof prop.value !== 'string') continue;
      properties.push({ name: prop.name, value: prop.value, ...(typeof prop.signature === 'string' ? { signature: prop.signature } : {}) });
    }
  }
  return { id: formatUuid(p.id.replace(/-/g, '').toLowerCase()), name: p.name, properties };
}
