import { createHash, timingSafeEqual } from 'node:crypto';

/** Compare two secrets in constant time, whatever their lengths (both are hashed to 32 bytes first). */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** `true` when `candidate` equals any of `secrets`; every secret is compared, so the time does not say which matched. */
export function matchesAny(candidate: string | Buffer, secrets: readonly (string | Buffer)[]): boolean {
  let found = false;
  for (const secret of secrets) found = constantTimeEqual(candidate, secret) || found;
  return found;
}
