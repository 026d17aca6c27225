// The benchmark's player: one new TCP connection per exchange, spoken with the router's own codec.
// Written by hand (not minecraft-protocol's client) so the load generator costs little per exchange
// and measures the server, not itself.
import { constants, createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { Cipheriv, Decipheriv, KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { FrameDecoder } from '../../../router/protocol/framer.ts';
import { encodeHandshake, INTENT_LOGIN, INTENT_STATUS } from '../../../router/protocol/handshake.ts';
import { PacketReader } from '../../../router/protocol/reader.ts';
import { readVarInt } from '../../../router/protocol/varint.ts';
import { PacketWriter } from '../../../router/protocol/writer.ts';

const MAX_COOKIE_KEY = 32767;

export type ExchangeKind = 'status' | 'offline_login' | 'online_login' | 'cookie_login';

/** 1.21.4: the newest layout of Client Information the router reads (particle status from 768). */
export const BENCH_PROTOCOL = 769;
/** Frames the benchmark accepts from a server (status JSON with a favicon fits easily). */
const MAX_SERVER_FRAME = 256 * 1024;
/** Encryption Request fields are short: an RSA-1024 SPKI key is 162 bytes, the token 4. */
const MAX_KEY_BYTES = 1024;

export interface ExchangeTarget {
  readonly port: number;
  /** The server address the client puts in its handshake (the route's host). */
  readonly serverHost: string;
}

/** A running exchange; `abort` cuts it (deadline reached, benchmark over). */
export interface ExchangeHandle {
  abort(reason: string): void;
}

export type ExchangeDone = (err: Error | undefined) => void;

// Packets that do not change between exchanges are built once.
const STATUS_REQUEST = new PacketWriter().packet(0x00);
const PING = new PacketWriter().long(0x0123456789abcdefn).packet(0x01);
const LOGIN_ACKNOWLEDGED = new PacketWriter().packet(0x03);
const CLIENT_INFORMATION = new PacketWriter()
  .string('en_us')
  .byte(10) // view distance
  .varInt(0) // chat mode: enabled
  .bool(true) // chat colors
  .byte(0x7f) // displayed skin parts
  .varInt(1) // main hand: right
  .bool(false) // text filtering
  .bool(true) // allow server listings
  .varInt(0) // particle status: all (768+)
  .packet(0x00);
const PLAYER_UUID = '00000000-0000-4000-8000-000000000000';

const handshakes = new Map<string, Buffer>();
function handshakeFor(target: ExchangeTarget, intent: number): Buffer {
  const key = `${target.serverHost}:${target.port}:${intent}`;
  let hs = handshakes.get(key);
  if (hs === undefined) {
    hs = encodeHandshake({ protocol: BENCH_PROTOCOL, host: target.serverHost, port: target.port, intent });
    handshakes.set(key, hs);
  }
  return hs;
}

// The router has one RSA key per process, so its public key is parsed once, not once per login.
let lastKeyDer: Buffer | undefined;
let lastKey: KeyObject | undefined;
function publicKeyOf(der: Buffer): KeyObject {
  if (lastKey === undefined || lastKeyDer === undefined || !lastKeyDer.equals(der)) {
    lastKeyDer = Buffer.from(der);
    lastKey = createPublicKey({ key: lastKeyDer, format: 'der', type: 'spki' });
  }
  return lastKey;
}

let playerCounter = 0;
/**
 * Cookie logins reuse a small pool of names: the first login of each name (in the warm-up) goes to
 * the session server and stores a cookie; later ones present it, as a returning vanilla client does.
 */
const COOKIE_PLAYERS = 256;
const cookieJar = new Map<string, Buffer>();
let cookiePlayer = 0;

function nextCookiePlayer(): string {
  cookiePlayer = (cookiePlayer + 1) % COOKIE_PLAYERS;
  return `Regular${cookiePlayer}`;
}

function nextPlayerName(): string {
  playerCounter = (playerCounter + 1) % 1_000_000;
  return `Bench${playerCounter}`;
}

type Step = 'status_response' | 'pong' | 'login' | 'configuration' | 'done';

class Exchange implements ExchangeHandle {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder(MAX_SERVER_FRAME);
  private readonly kind: ExchangeKind;
  private readonly target: ExchangeTarget;
  private readonly done: ExchangeDone;
  private step: Step;
  private cipher: Cipheriv | undefined;
  private decipher: Decipheriv | undefined;
  private name = '';

  constructor(kind: ExchangeKind, target: ExchangeTarget, done: ExchangeDone) {
    this.kind = kind;
    this.target = target;
    this.done = done;
    this.step = kind === 'status' ? 'status_response' : 'login';
    this.socket = connect({ host: '127.0.0.1', port: target.port, noDelay: true });
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.finish(err));
    this.socket.on('close', () => this.finish(new Error(`server closed the connection while waiting for ${this.step}`)));
  }

  abort(reason: string): void {
    this.finish(new Error(reason));
    this.socket.destroy();
  }

  private onConnect(): void {
    if (this.kind === 'status') {
      this.socket.write(Buffer.concat([handshakeFor(this.target, INTENT_STATUS), STATUS_REQUEST]));
      return;
    }
    this.name = this.kind === 'cookie_login' ? nextCookiePlayer() : nextPlayerName();
    const loginStart = new PacketWriter().string(this.name).uuid(PLAYER_UUID).packet(0x00);
    this.socket.write(Buffer.concat([handshakeFor(this.target, INTENT_LOGIN), loginStart]));
  }

  private onData(chunk: Buffer): void {
    if (this.step === 'done') return;
    try {
      this.decoder.push(this.decipher === undefined ? chunk : this.decipher.update(chunk), (body) => this.onFrame(body));
    } catch (err) {
      this.abort(`bad frame from server: ${(err as Error).message}`);
    }
  }

  private send(packet: Buffer): void {
    this.socket.write(this.cipher === undefined ? packet : this.cipher.update(packet));
  }

  private onFrame(body: Buffer): boolean {
    const id = (readVarInt(body, 0) ?? { value: -1 }).value;
    switch (this.step) {
      case 'status_response':
        if (id !== 0x00) return this.unexpected(id);
        this.step = 'pong';
        this.socket.write(PING);
        return true;
      case 'pong':
        if (id !== 0x01) return this.unexpected(id);
        // The server closes after the pong; ending our side too completes the close without a reset.
        this.finish(undefined);
        this.socket.end();
        return false;
      case 'login':
        return this.onLoginFrame(id, body);
      case 'configuration':
        // Transfer (0x0B) ends the exchange; keep-alives and anything else the server sends first are skipped.
        if (id === 0x02) return this.unexpected(id);
        if (id === 0x0a) {
          // Store Cookie: keep it for this player's next login.
          const r = new PacketReader(body);
          r.varInt();
          r.string(MAX_COOKIE_KEY, 'cookie key');
          cookieJar.set(this.name, Buffer.from(r.byteArray(5120, 'cookie')));
          return true;
        }
        if (id !== 0x0b) return true;
        this.finish(undefined);
        this.socket.end();
        return false;
      case 'done':
        return false;
    }
  }

  private onLoginFrame(id: number, body: Buffer): boolean {
    if (id === 0x05) {
      // Cookie Request: answer from the jar (no payload when this player has none yet).
      const r = new PacketReader(body);
      r.varInt();
      const key = r.string(MAX_COOKIE_KEY, 'cookie key');
      const cookie = cookieJar.get(this.name);
      const w = new PacketWriter().string(key).bool(cookie !== undefined);
      if (cookie !== undefined) w.byteArray(cookie);
      this.send(w.packet(0x04));
      return true;
    }
    if (id === 0x01 && (this.kind === 'online_login' || this.kind === 'cookie_login') && this.cipher === undefined) {
      this.answerEncryptionRequest(body);
      return true;
    }
    if (id === 0x02) {
      this.step = 'configuration';
      this.send(Buffer.concat([LOGIN_ACKNOWLEDGED, CLIENT_INFORMATION]));
      return true;
    }
    return this.unexpected(id);
  }

  /** Encryption Request → RSA-encrypt a fresh secret and the token, answer, then AES-128-CFB8 both ways. */
  private answerEncryptionRequest(body: Buffer): void {
    const r = new PacketReader(body);
    r.varInt();
    r.string(20, 'server id');
    const key = publicKeyOf(r.byteArray(MAX_KEY_BYTES, 'public key'));
    const token = r.byteArray(MAX_KEY_BYTES, 'verify token');
    const secret = randomBytes(16);
    const encrypt = (data: Buffer): Buffer => publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data);
    this.socket.write(new PacketWriter().byteArray(encrypt(secret)).byteArray(encrypt(token)).packet(0x01));
    this.cipher = createCipheriv('aes-128-cfb8', secret, secret);
    this.decipher = createDecipheriv('aes-128-cfb8', secret, secret);
  }

  private unexpected(id: number): false {
    this.abort(`unexpected packet 0x${id.toString(16)} while waiting for ${this.step}`);
    return false;
  }

  private finish(err: Error | undefined): void {
    if (this.step === 'done') return;
    this.step = 'done';
    this.done(err);
  }
}

/** Opens a new connection and runs one exchange on it; `done` is called exactly once. */
export function startExchange(kind: ExchangeKind, target: ExchangeTarget, done: ExchangeDone): ExchangeHandle {
  return new Exchange(kind, target, done);
}
