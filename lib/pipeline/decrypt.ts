import { ConfigurationError, WebhookError } from '../errors';
import { attachLogger, logger } from '../log';
import type { Logger } from '../log';
import { describeError } from '../shared/describe-error';
import type { Endpoint } from './endpoint';

const log = logger('decrypt');

/**
 * Step 3½, for a provider whose payload arrives encrypted: the payload its schema reads. A refusal the provider
 * names is answered as it is, and so is a key the receiver lacks (reported); anything else it throws is a payload
 * that does not decrypt: the sender's, refused, never a 5xx. Why the provider refused it is logged to the receiver's
 * logger (`loggerOf(payload)` in the provider).
 */
export function decrypted(endpoint: Endpoint, payload: unknown, logTo?: Logger): unknown {
  if (payload !== null && typeof payload === 'object') attachLogger(payload, logTo);
  try {
    return endpoint.decrypt!(payload);
  } catch (error) {
    if (error instanceof WebhookError || error instanceof ConfigurationError) throw error;
    log.warn({ provider: endpoint.provider.name, code: 'decryption_failed', error: describeError(error) }, 'decrypt failed', logTo);
    throw new WebhookError('decryption_failed');
  }
}
