import { createHmac } from 'node:crypto';
import { ConfigurationError } from '../errors';

/** The secret of the keyed hash that replaces a card number (32+ bytes): text, or a Buffer. */
export type ReferenceKey = string | Buffer;

/**
 * Card numbers never become part of a token reference or an id: they are replaced by an HMAC-SHA256 under
 * the app's `referenceKey`, stable across restarts and instances that share the key, and not reversible
 * without it. Without a key, a delivery that needs one is refused retry-later (and reported) rather than
 * stored with a card number in it.
 */
export function cardReferences(key: ReferenceKey | undefined): (cardNumber: string) => string {
  if (key === undefined) {
    return () => {
      throw new ConfigurationError('ERR_NTW_REFERENCE_KEY',
        'a notification identifies a token by its card number: configure referenceKey (32+ random bytes) so that it is stored as a keyed hash');
    };
  }
  const bytes = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  if (bytes.length < 32) throw new ConfigurationError('ERR_NTW_REFERENCE_KEY', 'referenceKey must be at least 32 bytes (a Buffer, or a string of 32+ characters)');
  return (cardNumber) => `card_${createHmac('sha256', bytes).update(cardNumber.replace(/\D/g, '')).digest('base64url')}`;
}
