import { AuthError } from './errors.ts';
import type { GameProfile, ProfileProperty } from '../protocol/login.ts';
import { formatUuid } from '../protocol/reader.ts';

/** A hasJoined answer is a small JSON profile; anything larger is not a session server we trust. */
const MAX_PROFILE_BYTES = 64 * 1024;

export interface SessionServerOptions {
  /** Base URL, e.g. https://sessionserver.mojang.com (injectable so tests never reach Mojang). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

/** The Mojang session server's `hasJoined`: 200 with a profile, 204 when the player did not join. */
export class SessionServerClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(opts: SessionServerOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs;
  }

  async hasJoined(username: string, serverHash: string, ip?: string): Promise<GameProfile> {
    const url = new URL(`${this.base}/session/minecraft/hasJoined`);
    url.searchParams.set('username', username);
    url.searchParams.set('serverId', serverHash);
    if (ip !== undefined) url.searchParams.set('ip', ip);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      text = await readCapped(res, MAX_PROFILE_BYTES);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new AuthError('ERR_AUTH_SESSION_TIMEOUT', `session server did not answer within ${this.timeoutMs} ms`);
      }
      throw new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', `session server unreachable: ${(err as Error).message}`);
    }
    if (res.status === 204 || (res.status === 200 && text.trim() === '')) {
      throw new AuthError('ERR_AUTH_NOT_VERIFIED', `session server does not know ${username} joined`);
    }
    if (res.status !== 200) {
      throw new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', `session server answered HTTP ${res.status}`);
    }
    return parseProfile(text, username);
  }
}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new AuthError('ERR_AUTH_BAD_PROFILE', `profile of ${declared} bytes, limit ${max}`);
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > max) throw new AuthError('ERR_AUTH_BAD_PROFILE', `profile larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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
