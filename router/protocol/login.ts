import { ProtocolError } from './errors.ts';
import { MAX_CHAT_JSON_CHARS, MAX_COOKIE_BYTES, MAX_IDENTIFIER_CHARS, MAX_USERNAME_CHARS } from './limits.ts';
import { PacketReader } from './reader.ts';
import { PacketWriter } from './writer.ts';
import { layoutProtocol } from './versions.ts';

/** RSA-1024 ciphertexts are 128 bytes; vanilla rejects anything longer, so do we. */
const MAX_ENCRYPTED_BYTES = 256;
const MAX_PLUGIN_RESPONSE_BYTES = 1 << 20;

export type LoginPacket =
  /** The UUID a client sends in Login Start is its own claim: skipped (the profile's comes from Mojang, a cookie or the offline name). */
  | { readonly kind: 'start'; readonly name: string }
  | { readonly kind: 'encryption'; readonly sharedSecret: Buffer; readonly verifyToken: Buffer }
  | { readonly kind: 'plugin_response'; readonly messageId: number }
  | { readonly kind: 'acknowledged' }
  | { readonly kind: 'cookie'; readonly key: string; readonly payload: Buffer | undefined };

/** Serverbound login packets for protocol 766 and newer. */
export function decodeLoginPacket(body: Buffer): LoginPacket {
  const r = new PacketReader(body);
  const id = r.varInt();
  switch (id) {
    case 0x00: {
      const name = r.string(MAX_USERNAME_CHARS, 'player name');
      r.fixed(16, 'UUID');
      r.end('login start');
      if (!/^[A-Za-z0-9_]{1,16}$/.test(name)) {
        throw new ProtocolError('ERR_BAD_VALUE', `login start: player name ${JSON.stringify(name)} has characters outside [A-Za-z0-9_]`);
      }
      return { kind: 'start', name };
    }
    case 0x01: {
      const sharedSecret = r.byteArray(MAX_ENCRYPTED_BYTES, 'shared secret');
      const verifyToken = r.byteArray(MAX_ENCRYPTED_BYTES, 'verify token');
      r.end('encryption response');
      return { kind: 'encryption', sharedSecret, verifyToken };
    }
    case 0x02: {
      const messageId = r.varInt();
      if (r.bool()) r.byteArray(MAX_PLUGIN_RESPONSE_BYTES, 'plugin response');
      return { kind: 'plugin_response', messageId };
    }
    case 0x03:
      r.end('login acknowledged');
      return { kind: 'acknowledged' };
    case 0x04:
      return decodeCookieResponse(r);
    default:
      throw new ProtocolError('ERR_UNKNOWN_PACKET', `login: unknown packet id 0x${id.toString(16)}`);
  }
}

export function decodeCookieResponse(r: PacketReader): LoginPacket & { kind: 'cookie' } {
  const key = r.string(MAX_IDENTIFIER_CHARS, 'cookie key');
  const payload = r.bool() ? Buffer.from(r.byteArray(MAX_COOKIE_BYTES, 'cookie payload')) : undefined;
  r.end('cookie response');
  return { kind: 'cookie', key, payload };
}

/** Login Disconnect carries JSON text (configuration-state disconnects carry NBT). */
export function encodeLoginDisconnect(component: unknown): Buffer {
  return new PacketWriter().string(JSON.stringify(component), MAX_CHAT_JSON_CHARS, 'login disconnect text').packet(0x00);
}

export function encodeEncryptionRequest(publicKeyDer: Buffer, verifyToken: Buffer, shouldAuthenticate: boolean): Buffer {
  // The server id is empty since 1.7; the trailing boolean exists from 766 (1.20.5).
  return new PacketWriter().string('').byteArray(publicKeyDer).byteArray(verifyToken).bool(shouldAuthenticate).packet(0x01);
}

export interface ProfileProperty {
  readonly name: string;
  readonly value: string;
  readonly signature?: string;
}

export interface GameProfile {
  readonly id: string;
  readonly name: string;
  readonly properties: readonly ProfileProperty[];
}

export function encodeLoginSuccess(profile: GameProfile, protocol: number): Buffer {
  const w = new PacketWriter().uuid(profile.id).string(profile.name).varInt(profile.properties.length);
  for (const p of profile.properties) {
    w.string(p.name).string(p.value).bool(p.signature !== undefined);
    if (p.signature !== undefined) w.string(p.signature);
  }
  // "Strict error handling" was added in 766 and removed again in 768.
  const layout = layoutProtocol(protocol);
  if (layout === 766 || layout === 767) w.bool(false);
  return w.packet(0x02);
}

export function encodeLoginCookieRequest(key: string): Buffer {
  return new PacketWriter().string(key).packet(0x05);
}
