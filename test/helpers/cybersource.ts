import { createHmac } from 'node:crypto';

/** The test key: base64 of 32 bytes, under key id `test-key`. */
export const CYBERSOURCE_KEY_ID = 'test-key';
export const CYBERSOURCE_KEY = Buffer.alloc(32, 7).toString('base64');
export const CYBERSOURCE_KEYS = { [CYBERSOURCE_KEY_ID]: CYBERSOURCE_KEY };

/** A `v-c-signature` header over `<t>.<body>`, as Cybersource signs. */
export function cybersourceSignature(body: string, options: { t?: number; key?: string; keyId?: string } = {}): string {
  const t = String(options.t ?? Date.now());
  const key = Buffer.from(options.key ?? CYBERSOURCE_KEY, 'base64');
  const sig = createHmac('sha256', key).update(`${t}.${body}`).digest('base64');
  return `t=${t};keyId=${options.keyId ?? CYBERSOURCE_KEY_ID};sig=${sig}`;
}
