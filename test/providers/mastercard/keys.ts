import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (name: string) => readFileSync(join(__dirname, 'fixtures', 'keys', name), 'utf8');

/** The tests' key pair of the token requestor (RSA 2048, self-signed): Mastercard encrypts to it; nothing else uses it. */
export const TEST_KEY = { privateKey: read('decryption-key.pem'), certificate: read('encryption-certificate.pem') } as const;

/** The name Mastercard's client certificate goes by (the API specification's "Connection Security"). */
export const MDES_CLIENT_NAME = 'ws.mastercard.com';

/** The host name the test receivers answer with. */
export const RESPONSE_HOST = 'tokens.merchant.example';
