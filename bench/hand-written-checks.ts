/**
 * What a careful user hand-writes for this library's checks on Cybersource, shared by the HTTP rows "hand-written"
 * (`servers/hand-written.ts`) and the in-process reference of `npm run bench:work` (`work-process.ts`): the
 * `v-c-signature` HMAC-SHA256 (base64 key, over `<t>.<raw body>`, `t` within an hour) checked with
 * `timingSafeEqual`; the shipped JSON Schema (schemas/cybersource.schema.json) compiled once with ajv; the event id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { ROOT, SECRETS } from './config';

/** The bench's Cybersource key (`config.ts`), by key id. */
const BENCH_KEYS: ReadonlyMap<string, Buffer> = new Map([[SECRETS.cybersourceKeyId, Buffer.from(SECRETS.cybersourceKey, 'base64')]]);
const TOLERANCE_MS = 3_600_000;

/** `t=<ms>;keyId=<id>;sig=<base64>` checked over the raw bytes with one of `keys`. */
export function signed(header: string | string[] | undefined, raw: Buffer | undefined, keys: ReadonlyMap<string, Buffer> = BENCH_KEYS): boolean {
  if (typeof header !== 'string' || !raw) return false;
  const parts = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = parts.get('t');
  const key = keys.get(parts.get('keyId') ?? '');
  const sig = Buffer.from(parts.get('sig') ?? '', 'base64');
  if (!t || !/^\d{1,16}$/.test(t) || !key || Math.abs(Date.now() - Number(t)) > TOLERANCE_MS) return false;
  const expected = createHmac('sha256', key).update(`${t}.`).update(raw).digest();
  return expected.length === sig.length && timingSafeEqual(expected, sig);
}

export const validate = new Ajv({ strictTypes: false, strictRequired: false })
  .compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'cybersource.schema.json'), 'utf8')) as object);

/** The notification's id, where Cybersource puts it; `undefined` when it is not a string. */
export function eventIdOf(body: unknown): string | undefined {
  const id = (body as { payload?: { data?: { id?: unknown } } }).payload?.data?.id;
  return typeof id === 'string' ? id : undefined;
}
