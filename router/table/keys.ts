// Ed25519 signing keys for routing tables: generate, name (keyid), load from PEM, write to disk.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TableKeyError } from './errors.ts';

export const PRIVATE_KEY_FILE = 'passage-signing.key';
export const PUBLIC_KEY_FILE = 'passage-signing.pub';
export const PRIVATE_KEY_MODE = 0o600;
export const PUBLIC_KEY_MODE = 0o644;
/** 16 hex characters = 64 bits of SHA-256: enough to tell a handful of trusted keys apart. */
export const KEY_ID_LENGTH = 16;

export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyid: string;
}

export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

/** First 16 hex characters of SHA-256 over the raw 32-byte Ed25519 public key (of a private key: its public half). */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`keyIdOf needs an Ed25519 key, got ${publicKey.asymmetricKeyType ?? publicKey.type}`);
  }
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, KEY_ID_LENGTH);
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  // The JWK form carries exactly the 32 raw bytes (RFC 8037 §2), without the SPKI wrapper.
  const { x } = publicKey.export({ format: 'jwk' });
  return Buffer.from(x ?? '', 'base64url');
}

/** `source` names where the PEM came from (a file path) in error messages. */
export function parsePublicKeyPem(pem: string, source: string): KeyObject {
  // createPublicKey would happily derive a public key from a private PEM; a router must never hold one.
  if (pem.includes('PRIVATE KEY-----')) {
    throw new TableKeyError(source, 'holds a private key; give the public key file (.pub) instead');
  }
  if (!pem.includes('-----BEGIN ')) throw new TableKeyError(source, 'is not a PEM file (expected "-----BEGIN PUBLIC KEY-----")');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new TableKeyError(source, 'is not a readable PEM public key', { cause });
  }
  return requireEd25519(key, source);
}

export function parsePrivateKeyPem(pem: string, source: string): KeyObject {
  if (!pem.includes('PRIVATE KEY-----')) {
    throw new TableKeyError(source, 'is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----")');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    const encrypted = (cause as { code?: string }).code === 'ERR_MISSING_PASSPHRASE';
    throw new TableKeyError(source, encrypted ? 'is encrypted; Passage needs an unencrypted PKCS#8 key' : 'is not a readable PEM private key', { cause });
  }
  return requireEd25519(key, source);
}

function requireEd25519(key: KeyObject, source: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TableKeyError(source, `holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; table signing keys are Ed25519`);
  }
  return key;
}

export async function readPublicKeyFile(file: string): Promise<KeyObject> {
  return parsePublicKeyPem(await readKeyText(file), file);
}

export async function readPrivateKeyFile(file: string): Promise<KeyObject> {
  return parsePrivateKeyPem(await readKeyText(file), file);
}

async function readKeyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new TableKeyError(file, `cannot read the key file (${(cause as { code?: string }).code ?? String(cause)})`, { cause });
  }
}

export interface WrittenKeyPair {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly keyid: string;
}

/**
 * Writes `passage-signing.key` (0600) and `passage-signing.pub` (0644) into `dir`, creating it if needed.
 * Refuses to overwrite either file: losing a signing key means re-trusting every router.
 */
export async function writeKeyPair(dir: string, keyPair: SigningKeyPair = generateSigningKey()): Promise<WrittenKeyPair> {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  await mkdir(dir, { recursive: true });
  const privatePem = keyPair.privateKey.export({ format: 'pem', type: 'pkcs8' });
  const publicPem = keyPair.publicKey.export({ format: 'pem', type: 'spki' });
  await writeNewFile(privateKeyPath, privatePem, PRIVATE_KEY_MODE);
  try {
    await writeNewFile(publicKeyPath, publicPem, PUBLIC_KEY_MODE);
  } catch (error) {
    // Leave no private key behind whose public half was never written.
    await rm(privateKeyPath, { force: true });
    throw error;
  }
  return { privateKeyPath, publicKeyPath, keyid: keyPair.keyid };
}

async function writeNewFile(path: string, contents: string | Buffer, mode: number): Promise<void> {
  let handle;
  try {
    // O_EXCL with the mode at creation: the file never exists with wider permissions, not even briefly.
    handle = await open(path, 'wx', mode);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new TableKeyError(path, code === 'EEXIST' ? 'already exists; refusing to overwrite a signing key' : `cannot create (${code ?? String(cause)})`, { cause });
  }
  try {
    // The umask can only narrow the creation mode; this makes it exact (0644 stays 0644 under umask 027).
    await handle.chmod(mode);
    await handle.writeFile(contents);
  } catch (cause) {
    await handle.close();
    await rm(path, { force: true }); // a truncated key file would fail later, far from the cause
    throw new TableKeyError(path, `cannot write (${(cause as { code?: string }).code ?? String(cause)})`, { cause });
  }
  await handle.close();
}
