import { constants, createCipheriv, createDecipheriv, createHash, generateKeyPairSync, privateDecrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cipheriv, Decipheriv, KeyObject } from 'node:crypto';
import { AuthError } from './errors.ts';

/** One RSA-1024 key pair per process, as the vanilla server does; the client only uses it once per login. */
export class ServerKeyPair {
  readonly publicKeyDer: Buffer;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    this.publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
    this.privateKey = privateKey;
  }

  /**
   * RSA PKCS#1 v1.5 decryption, which is what the client uses. Node 20 refuses this padding for
   * private decryption (CVE-2023-46809); Node ≥ 22 with OpenSSL ≥ 3.2 uses implicit rejection,
   * which returns random bytes instead of throwing on bad padding, so lengths are checked after.
   */
  decrypt(data: Buffer): Buffer {
    return privateDecrypt({ key: this.privateKey, padding: constants.RSA_PKCS1_PADDING }, data);
  }
}

export function newVerifyToken(): Buffer {
  return randomBytes(4);
}

export interface DecryptedSecret {
  readonly sharedSecret: Buffer;
}

/** Decrypts the Encryption Response; a wrong verify token or secret length is an auth failure. */
export function openEncryptionResponse(keys: ServerKeyPair, expectedToken: Buffer, encSecret: Buffer, encToken: Buffer): DecryptedSecret {
  let secret: Buffer;
  let token: Buffer;
  try {
    secret = keys.decrypt(encSecret);
    token = keys.decrypt(encToken);
  } catch {
    throw new AuthError('ERR_AUTH_BAD_SECRET', 'encryption response does not decrypt');
  }
  if (token.length !== expectedToken.length || !timingSafeEqual(token, expectedToken)) {
    throw new AuthError('ERR_AUTH_VERIFY_TOKEN', 'verify token does not match');
  }
  if (secret.length !== 16) {
    throw new AuthError('ERR_AUTH_BAD_SECRET', `shared secret is ${secret.length} bytes, expected 16`);
  }
  return { sharedSecret: secret };
}

/** AES-128-CFB8 with key = IV = shared secret, one stream per direction. */
export function createStreamCiphers(sharedSecret: Buffer): { encrypt: Cipheriv; decrypt: Decipheriv } {
  return {
    encrypt: createCipheriv('aes-128-cfb8', sharedSecret, sharedSecret),
    decrypt: createDecipheriv('aes-128-cfb8', sharedSecret, sharedSecret),
  };
}

/**
 * The `serverId` hash of hasJoined: SHA-1 over (server id, secret, public key) printed as Java's
 * `new BigInteger(digest).toString(16)`: two's complement, a minus sign, no leading zeros.
 */
export function minecraftServerHash(serverId: string, sharedSecret: Buffer, publicKeyDer: Buffer): string {
  const digest = createHash('sha1').update(serverId, 'ascii').update(sharedSecret).update(publicKeyDer).digest();
  const negative = (digest[0] & 0x80) !== 0;
  if (negative) {
    // Two's complement negate.
    let carry = 1;
    for (let i = digest.length - 1; i >= 0; i--) {
      const v = (~digest[i] & 0xff) + carry;
      digest[i] = v & 0xff;
      carry = v >> 8;
    }
  }
  const hex = digest.toString('hex').replace(/^0+/, '');
  return (negative ? '-' : '') + (hex === '' ? '0' : hex);
}
