import { offlineUuid } from '../auth/offline.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { encodeHandshake, forgeMarker, hostBeforeNul, INTENT_STATUS } from '../protocol/handshake.ts';
import type { DomainRewrite, Forwarding, Target } from '../table/types.ts';

/** What the router itself knows of a relayed player, for `forwarding = "bungeecord"`. */
export interface ForwardedPlayer {
  /** The client address the router saw: the socket's peer, or a trusted proxy's PROXY header. */
  readonly ip: string;
  /** The Login Start name (the backend reads it from Login Start anyway). */
  readonly name: string;
}

/**
 * The handshake a backend receives. The host is the client's (before any NUL) or the rewrite's; of
 * what a client wrote after a NUL only a Forge marker (`\0FML\0`, `\0FML2\0`, `\0FML3\0`, `\0FORGE`)
 * is kept, because a client can otherwise write BungeeCord forwarding data (`\0ip\0uuid\0skin`) that
 * a backend with `bungeecord: true` would trust. With `forwarding = "bungeecord"` the router writes that
 * data itself, from its own view, for logins (status requests get the plain host).
 */
export function backendHandshake(
  hs: Handshake,
  rewrite: DomainRewrite | undefined,
  target: Target,
  intent: number = hs.intent,
  forward?: { readonly mode: Forwarding | undefined; readonly player: ForwardedPlayer },
): Buffer {
  let host = hostBeforeNul(hs.rawHost);
  let port = hs.port;
  if (rewrite === 'from_backend') {
    host = target.host;
    port = target.port;
  } else if (rewrite !== undefined && rewrite !== 'none') {
    host = rewrite.explicit;
  }
  const marker = forgeMarker(hs.rawHost);
  const address =
    forward?.mode === 'bungeecord' && intent !== INTENT_STATUS ? bungeeCordAddress(host, forward.player, marker) : host + (marker ?? '');
  return encodeHandshake({ protocol: hs.protocol, host: address, port, intent });
}

/**
 * BungeeCord IP forwarding, as BungeeCord writes it and Spigot/Paper (`bungeecord: true`) read it:
 * `host \0 ip \0 uuid-without-dashes [\0 properties-json]`. Passage does not authenticate relayed
 * players, so the UUID is the offline one of the Login Start name (what an offline-mode backend would
 * compute) and no skin is sent. A Forge client is announced as BungeeCord does it, with the marker
 * moved into properties (`forgeClient`, `extraData` with NULs as \u0001) so the backend's split on NUL
 * still sees four parts.
 */
export function bungeeCordAddress(host: string, player: ForwardedPlayer, marker: string | undefined): string {
  const uuid = offlineUuid(player.name).replaceAll('-', '');
  const base = `${host}\0${player.ip}\0${uuid}`;
  if (marker === undefined) return base;
  const properties = [
    { name: 'forgeClient', value: 'true' },
    { name: 'extraData', value: marker.replaceAll('\0', '\u0001'), signature: '' },
  ];
  return `${base}\0${JSON.stringify(properties)}`;
}
