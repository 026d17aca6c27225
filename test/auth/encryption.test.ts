import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { createStreamCiphers, minecraftServerHash, openEncryptionResponse, ServerKeyPair } from '../../router/auth/encryption.ts';
import { offlineUuid } from '../../router/auth/offline.ts';
import { parseProfile } from '../../router/auth/session-server.ts';

test('the server hash prints SHA-1 the way Java BigInteger does (known vectors)', () => {
  // Vectors from the protocol documentation: the hash of the name alone.
  const hash = (s: string) => minecraftServerHash(s, Buffer.alloc(0), Buffer.alloc(0));
  assert.equal(hash('Notch'), '4ed1f46bbe04bc756bcb17c0c7ce3e4632f06a48');
  assert.equal(hash('jeb_'), '-7c9d5b0044c130109a5d7b5fb5c317c02b4e28c1');
  assert.equal(hash('simon'), '88e16a1019277b15d58faf0541e11910eb756f6');
});

test('offline UUIDs match the vanilla server', () => {
  assert.equal(offlineUuid('Notch'), 'b50ad385-829d-3141-a216-7e7d7539ba7f');
});

test('an encryption response decrypts with RSA PKCS#1 v1.5 and checks the verify token', () => {
  const keys = new ServerKeyPair();
  const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKeyDer.toString('base64')}\n-----END PUBLIC KEY-----`;
  const enc = (b: Buffer) => publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, b);
  const token = randomBytes(4);
  const secret = randomBytes(16);
  assert.deepEqual(openEncryptionResponse(keys, token, enc(secret), enc(token)).sharedSecret, secret);
  assert.throws(() => openEncryptionResponse(keys, token, enc(secret), enc(randomBytes(4))), { code: 'ERR_AUTH_VERIFY_TOKEN' });
  assert.throws(() => openEncryptionResponse(keys, token, enc(randomBytes(15)), enc(token)), { code: 'ERR_AUTH_BAD_SECRET' });
});

// OpenSSL >= 3.2 answers a bad PKCS#1 v1.5 padding with implicit rejection: a random ciphertext
// usually throws, but about 1 in 200 "decrypts" to random bytes of a plausible length. So these tests
// assert what the router guarantees, whichever way the padding check goes: it never ends up with the
// client's secret (hasJoined is keyed by a hash of that secret, so the session server refuses the
// login), and a verify token it did not issue is refused.
test('a ciphertext the client did not make never yields the client\'s shared secret', () => {
  const keys = new ServerKeyPair();
  const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKeyDer.toString('base64')}\n-----END PUBLIC KEY-----`;
  const enc = (b: Buffer) => publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, b);
  const token = randomBytes(4);
  const secret = randomBytes(16);
  const clientHash = minecraftServerHash('', secret, keys.publicKeyDer);
  for (let i = 0; i < 100; i++) {
    let opened: { sharedSecret: Buffer };
    try {
      opened = openEncryptionResponse(keys, token, randomBytes(128), enc(token));
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'ERR_AUTH_BAD_SECRET');
      continue;
    }
    assert.equal(opened.sharedSecret.length, 16, 'only a 16-byte secret is ever accepted');
    assert.notDeepEqual(opened.sharedSecret, secret);
    assert.notEqual(minecraftServerHash('', opened.sharedSecret, keys.publicKeyDer), clientHash, 'hasJoined would be asked about another server id');
  }
});

test('a verify token the router did not issue is refused, however its ciphertext decrypts', () => {
  const keys = new ServerKeyPair();
  const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKeyDer.toString('base64')}\n-----END PUBLIC KEY-----`;
  const enc = (b: Buffer) => publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, b);
  const token = randomBytes(4);
  const secret = enc(randomBytes(16));
  for (let i = 0; i < 100; i++) {
    const forged = i % 2 === 0 ? randomBytes(128) : enc(Buffer.from(token.map((b, j) => (j === i % 4 ? b ^ 0xff : b))));
    assert.throws(
      () => openEncryptionResponse(keys, token, secret, forged),
      (e: { code?: string }) => e.code === 'ERR_AUTH_VERIFY_TOKEN' || e.code === 'ERR_AUTH_BAD_SECRET',
    );
  }
});

test('AES-128-CFB8 streams decrypt what the other side encrypts, chunk by chunk', () => {
  const secret = randomBytes(16);
  const a = createStreamCiphers(secret);
  const b = createStreamCiphers(secret);
  const msg = randomBytes(1000);
  const ct = Buffer.concat([a.encrypt.update(msg.subarray(0, 7)), a.encrypt.update(msg.subarray(7))]);
  assert.deepEqual(Buffer.concat([b.decrypt.update(ct.subarray(0, 500)), b.decrypt.update(ct.subarray(500))]), msg);
});

test('hasJoined profiles are checked: id, matching name, properties kept with signatures', () => {
  const p = parseProfile(JSON.stringify({ id: '069a79f444e94726a5befca90e38aaf5', name: 'Notch', properties: [{ name: 'textures', value: 'v', signature: 's' }] }), 'notch');
  assert.deepEqual(p, { id: '069a79f4-44e9-4726-a5be-fca90e38aaf5', name: 'Notch', properties: [{ name: 'textures', value: 'v', signature: 's' }] });
  assert.throws(() => parseProfile('{"id":"x","name":"Notch"}', 'Notch'), { code: 'ERR_AUTH_BAD_PROFILE' });
  assert.throws(() => parseProfile(JSON.stringify({ id: '069a79f444e94726a5befca90e38aaf5', name: 'Other' }), 'Notch'), { code: 'ERR_AUTH_BAD_PROFILE' });
  assert.throws(() => parseProfile('not json', 'Notch'), { code: 'ERR_AUTH_BAD_PROFILE' });
});
