import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TableKeyError } from '../../router/table/errors.ts';
import {
  generateSigningKey,
  keyIdOf,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  readPrivateKeyFile,
  readPublicKeyFile,
  writeKeyPair,
} from '../../router/table/keys.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'passage-keys-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isKeyErrorNaming(file: string, pattern: RegExp) {
  return (error: unknown) => error instanceof TableKeyError && error.code === 'ERR_TABLE_KEY' && error.message.includes(file) && pattern.test(error.message);
}

describe('signing keys', () => {
  it('names a key by the first 16 hex characters of SHA-256 over its raw 32-byte public key', () => {
    const { publicKey, privateKey, keyid } = generateSigningKey();
    // An Ed25519 SPKI is a fixed 12-byte header followed by the raw key.
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    assert.equal(raw.length, 32);
    assert.equal(keyid, createHash('sha256').update(raw).digest('hex').slice(0, 16));
    assert.equal(keyIdOf(publicKey), keyid);
    assert.equal(keyIdOf(privateKey), keyid);
  });

  it('writes a 0600 private key and a 0644 public key that load back with the same keyid, even under umask 000', async () => {
    const previous = process.umask(0o000);
    try {
      const written = await writeKeyPair(join(dir, 'pair'));
      assert.equal(written.privateKeyPath, join(dir, 'pair', PRIVATE_KEY_FILE));
      assert.equal(written.publicKeyPath, join(dir, 'pair', PUBLIC_KEY_FILE));
      assert.equal((await stat(written.privateKeyPath)).mode & 0o777, 0o600);
      assert.equal((await stat(written.publicKeyPath)).mode & 0o777, 0o644);
      assert.equal(keyIdOf(await readPrivateKeyFile(written.privateKeyPath)), written.keyid);
      assert.equal(keyIdOf(await readPublicKeyFile(written.publicKeyPath)), written.keyid);
    } finally {
      process.umask(previous);
    }
  });

  it('keeps the public key at 0644 under a restrictive umask', async () => {
    const previous = process.umask(0o077);
    try {
      const written = await writeKeyPair(join(dir, 'strict'));
      assert.equal((await stat(written.publicKeyPath)).mode & 0o777, 0o644);
      assert.equal((await stat(written.privateKeyPath)).mode & 0o777, 0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('refuses to overwrite an existing key and leaves it untouched', async () => {
    const target = join(dir, 'existing');
    const first = await writeKeyPair(target);
    const before = await readFile(first.privateKeyPath, 'utf8');
    await assert.rejects(writeKeyPair(target), isKeyErrorNaming(first.privateKeyPath, /already exists/));
    assert.equal(await readFile(first.privateKeyPath, 'utf8'), before);
  });

  it('removes the new private key when the public key file is already there', async () => {
    const target = join(dir, 'half');
    await writeKeyPair(target);
    await rm(join(target, PRIVATE_KEY_FILE));
    await assert.rejects(writeKeyPair(target), isKeyErrorNaming(join(target, PUBLIC_KEY_FILE), /already exists/));
    await assert.rejects(stat(join(target, PRIVATE_KEY_FILE)), { code: 'ENOENT' });
  });

  it('names the file when a public key file holds an RSA key, a private key, garbage or nothing', async () => {
    const rsa = join(dir, 'rsa.pub');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(rsa, publicKey.export({ format: 'pem', type: 'spki' }));
    await assert.rejects(readPublicKeyFile(rsa), isKeyErrorNaming(rsa, /rsa key; table signing keys are Ed25519/));

    const priv = join(dir, 'private-as-public.pub');
    await writeFile(priv, generateSigningKey().privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await assert.rejects(readPublicKeyFile(priv), isKeyErrorNaming(priv, /private key/));

    const garbage = join(dir, 'garbage.pub');
    await writeFile(garbage, 'hello');
    await assert.rejects(readPublicKeyFile(garbage), isKeyErrorNaming(garbage, /not a PEM/));

    const broken = join(dir, 'broken.pub');
    await writeFile(broken, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    await assert.rejects(readPublicKeyFile(broken), isKeyErrorNaming(broken, /not a readable PEM/));

    const missing = join(dir, 'missing.pub');
    await assert.rejects(readPublicKeyFile(missing), isKeyErrorNaming(missing, /ENOENT/));
  });

  it('names the file when a private key file holds a public key or an encrypted key', async () => {
    const pub = join(dir, 'public-as-private.key');
    await writeFile(pub, generateSigningKey().publicKey.export({ format: 'pem', type: 'spki' }));
    await assert.rejects(readPrivateKeyFile(pub), isKeyErrorNaming(pub, /not a PEM private key/));

    const encrypted = join(dir, 'encrypted.key');
    const pem = generateSigningKey().privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' });
    await writeFile(encrypted, pem);
    await assert.rejects(readPrivateKeyFile(encrypted), isKeyErrorNaming(encrypted, /encrypted/));
  });
});
