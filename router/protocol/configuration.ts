import { EncodeError, ProtocolError } from './errors.ts';
import { MAX_COOKIE_BYTES, MAX_IDENTIFIER_CHARS } from './limits.ts';
import { textComponentToNbt } from './nbt.ts';
import { PacketReader } from './reader.ts';
import { PacketWriter } from './writer.ts';
import { decodeCookieResponse } from './login.ts';
import { layoutProtocol } from './versions.ts';

const MAX_LOCALE_CHARS = 16;
const MAX_PLUGIN_MESSAGE_BYTES = 32767;

export const RESOURCE_PACK_RESULTS = [
  'loaded', 'declined', 'failed_download', 'accepted', 'downloaded', 'invalid_url', 'failed_reload', 'discarded',
] as const;
export type ResourcePackResult = (typeof RESOURCE_PACK_RESULTS)[number];

export type ConfigurationPacket =
  | { readonly kind: 'client_information'; readonly locale: string }
  | { readonly kind: 'cookie'; readonly key: string; readonly payload: Buffer | undefined }
  | { readonly kind: 'plugin_message'; readonly channel: string }
  | { readonly kind: 'finish_acknowledged' }
  | { readonly kind: 'keep_alive'; readonly id: bigint }
  | { readonly kind: 'pong'; readonly id: number }
  | { readonly kind: 'resource_pack'; readonly uuid: string; readonly result: ResourcePackResult }
  | { readonly kind: 'known_packs' }
  | { readonly kind: 'other'; readonly id: number };

/** Serverbound configuration packets (ids stable from 766 through 775; newer numbers read as the newest known). */
export function decodeConfigurationPacket(body: Buffer, protocol: number): ConfigurationPacket {
  const layout = layoutProtocol(protocol);
  const r = new PacketReader(body);
  const id = r.varInt();
  switch (id) {
    case 0x00: {
      const locale = r.string(MAX_LOCALE_CHARS, 'locale');
      // View distance, chat mode, colours, skin parts, main hand, filtering, listing (+ particles from 768)
      // are read only to check the packet's shape; the locale is what Passage needs.
      r.byte();
      r.varInt();
      r.bool();
      r.ubyte();
      r.varInt();
      r.bool();
      r.bool();
      if (layout >= 768) r.varInt();
      r.end('client information');
      return { kind: 'client_information', locale: locale.toLowerCase() };
    }
    case 0x01:
      return decodeCookieResponse(r);
    case 0x02: {
      const channel = r.string(MAX_IDENTIFIER_CHARS, 'plugin channel');
      if (r.remaining > MAX_PLUGIN_MESSAGE_BYTES) {
        throw new ProtocolError('ERR_BAD_LENGTH', `plugin message: ${r.remaining} bytes, limit ${MAX_PLUGIN_MESSAGE_BYTES}`);
      }
      return { kind: 'plugin_message', channel };
    }
    case 0x03:
      r.end('acknowledge finish configuration');
      return { kind: 'finish_acknowledged' };
    case 0x04: {
      const keepAlive = r.long();
      r.end('keep alive');
      return { kind: 'keep_alive', id: keepAlive };
    }
    case 0x05: {
      const pong = r.int();
      r.end('pong');
      return { kind: 'pong', id: pong };
    }
    case 0x06: {
      const uuid = r.uuid();
      const code = r.varInt();
      r.end('resource pack response');
      const result = RESOURCE_PACK_RESULTS[code];
      if (result === undefined) throw new ProtocolError('ERR_BAD_VALUE', `resource pack response: result ${code}`);
      return { kind: 'resource_pack', uuid, result };
    }
    case 0x07:
      return { kind: 'known_packs' };
    default:
      throw new ProtocolError('ERR_UNKNOWN_PACKET', `configuration: unknown packet id 0x${id.toString(16)}`);
  }
}

export function encodeConfigurationDisconnect(component: unknown): Buffer {
  return new PacketWriter().raw(textComponentToNbt(component)).packet(0x02);
}

export function encodeConfigurationKeepAlive(id: bigint): Buffer {
  return new PacketWriter().long(id).packet(0x04);
}

export function encodeTransfer(host: string, port: number): Buffer {
  return new PacketWriter().string(host).varInt(port).packet(0x0b);
}

export function encodeStoreCookie(key: string, payload: Buffer): Buffer {
  if (payload.length > MAX_COOKIE_BYTES) {
    throw new EncodeError('cookie payload', payload.length, MAX_COOKIE_BYTES, 'bytes');
  }
  return new PacketWriter().string(key).byteArray(payload).packet(0x0a);
}

export function encodeConfigurationCookieRequest(key: string): Buffer {
  return new PacketWriter().string(key).packet(0x00);
}

export interface ResourcePackPush {
  readonly uuid: string;
  readonly url: string;
  readonly hash: string;
  readonly forced: boolean;
  readonly prompt?: unknown;
}

export function encodeAddResourcePack(p: ResourcePackPush): Buffer {
  const w = new PacketWriter().uuid(p.uuid).string(p.url).string(p.hash).bool(p.forced).bool(p.prompt !== undefined);
  if (p.prompt !== undefined) w.raw(textComponentToNbt(p.prompt));
  return w.packet(0x09);
}
