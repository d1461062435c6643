import { ConfigurationError, WebhookError } from '../errors';
import { logger } from '../log';
import { describeError } from '../shared/describe-error';
import type { Endpoint } from './endpoint';

const log = logger('decrypt');

/**
 * Step 3½, for a provider whose payload arrives encrypted: the payload its schema reads. A refusal the provider
 * names is answered as it is, and so is a key the receiver lacks (reported); anything else it throws is a payload
 * that does not decrypt: the sender's, refused, never a 5xx.
 */
export function decrypted(endpoint: Endpoint, payload: unknown): unknown {
  try {
    return endpoint.decrypt!(payload);
  } catch (error) {
    if (error instanceof WebhookError || error instanceof ConfigurationError) throw error;
    log('%s decrypt failed: %s', endpoint.provider.name, describeError(error));
    throw new WebhookError('decryption_failed');
  }
}
