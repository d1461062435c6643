import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors';
import { looksHex } from '../key-encoding';

export type EncryptionKey = string | Buffer;

const IV_BYTES = 12;
const TAG_BYTES = 16;

function toKey(key: EncryptionKey): Buffer {
  const bytes = Buffer.isBuffer(key) ? key : /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (typeof key === 'string' && looksHex(key)) {
    throw new ConfigurationError('ERR_NTW_ENCRYPTION_KEY', "An encryption key given as a string is base64; this one looks like hex: pass Buffer.from(key, 'hex')");
  }
  if (bytes.length !== 32) throw new ConfigurationError('ERR_NTW_ENCRYPTION_KEY', 'An encryption key must be 32 bytes (a Buffer, or base64)');
  return bytes;
}

/**
 * AES-256-GCM sealing of secrets kept in storage. The first key seals; every key opens, so keys rotate:
 * put the new key first, keep the old one until what it sealed is done.
 */
export class SecretBox {
  private readonly keys: readonly Buffer[];

  constructor(keys: EncryptionKey | readonly EncryptionKey[]) {
    const list = (Array.isArray(keys) ? keys : [keys]) as readonly EncryptionKey[];
    if (list.length === 0) throw new ConfigurationError('ERR_NTW_ENCRYPTION_KEY', 'encryptionKey needs at least one key');
    this.keys = list.map(toKey);
  }

  /** `iv | tag | ciphertext`, base64. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  /** The plaintext, or a thrown error when no configured key opens it (or it was altered). */
  open(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64');
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const ciphertext = bytes.subarray(IV_BYTES + TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // not this key
      }
    }
    throw new Error('sealed secrets cannot be opened with the configured encryption keys');
  }
}
