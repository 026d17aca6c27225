import { performance } from 'node:perf_hooks';
import { createStreamCiphers, minecraftServerHash, newVerifyToken, openEncryptionResponse } from '../auth/encryption.ts';
import { offlineUuid } from '../auth/offline.ts';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { decodeLoginPacket, encodeEncryptionRequest, encodeLoginSuccess } from '../protocol/login.ts';
import type { GameProfile } from '../protocol/login.ts';
import type { Connection } from './connection.ts';
import { beginConfiguration } from './configuration-handler.ts';

function unexpected(conn: Connection, kind: string): never {
  throw new ProtocolError('ERR_UNEXPECTED_PACKET', `login: ${kind} while ${conn.step}`);
}

export function handleLogin(conn: Connection, body: Buffer): void | Promise<void> {
  const packet = decodeLoginPacket(body);
  switch (packet.kind) {
    case 'start':
      if (conn.step !== 'await_start') unexpected(conn, 'login start');
      conn.playerName = packet.name;
      if (conn.ctx.config.auth.mode === 'offline') {
        const started = performance.now();
        sendLoginSuccess(conn, { id: offlineUuid(packet.name), name: packet.name, properties: [] });
        publish(events.auth, conn.ctx.source, { result: 'offline', durationSeconds: (performance.now() - started) / 1000 });
        return;
      }
      conn.verifyToken = newVerifyToken();
      conn.step = 'await_encryption';
      conn.send(encodeEncryptionRequest(conn.ctx.keys.publicKeyDer, conn.verifyToken, true));
      return;
    case 'encryption':
      if (conn.step !== 'await_encryption') unexpected(conn, 'encryption response');
      return authenticate(conn, packet.sharedSecret, packet.verifyToken);
    case 'acknowledged':
      if (conn.step !== 'await_acknowledged') unexpected(conn, 'login acknowledged');
      beginConfiguration(conn);
      return;
    case 'cookie':
    case 'plugin_response':
      // We never ask for these in the login state yet; a client that answers anyway is harmless.
      return;
  }
}

async function authenticate(conn: Connection, encSecret: Buffer, encToken: Buffer): Promise<void> {
  const { keys, sessionServer, config } = conn.ctx;
  const { sharedSecret } = openEncryptionResponse(keys, conn.verifyToken!, encSecret, encToken);
  conn.enableEncryption(createStreamCiphers(sharedSecret));
  conn.step = 'authenticating';
  const hash = minecraftServerHash('', sharedSecret, keys.publicKeyDer);
  const ip = config.auth.preventProxyConnections ? conn.clientIp : undefined;
  const started = performance.now();
  let profile: GameProfile;
  try {
    profile = await sessionServer.hasJoined(conn.playerName!, hash, ip);
  } catch (err) {
    publish(events.auth, conn.ctx.source, { result: 'failed', durationSeconds: (performance.now() - started) / 1000 });
    throw err;
  }
  publish(events.auth, conn.ctx.source, { result: 'ok', durationSeconds: (performance.now() - started) / 1000 });
  if (conn.state === 'closed') return;
  sendLoginSuccess(conn, profile);
}

function sendLoginSuccess(conn: Connection, profile: GameProfile): void {
  conn.profile = profile;
  conn.step = 'await_acknowledged';
  conn.send(encodeLoginSuccess(profile, conn.handshake!.protocol));
}
