/** A signature header of the form `t=<time>,<scheme>=<hex>,…` (Stripe's `v1`, Firstoken's `s`). */
export interface TimestampedSignatures {
  /** `t` as sent (digits only). */
  readonly t: string;
  /** Every signature of the scheme asked for: several while a secret rotates. */
  readonly signatures: Buffer[];
}

/**
 * `t` and every hex SHA-256 signature under `scheme`, or `undefined` for a header that is not one: too long, no
 * digits-only `t` of at most `maxTimeDigits`, or no signature. Other schemes and unknown fields are ignored.
 */
export function parseTimestampedSignatures(value: string | string[] | undefined,
  options: { readonly scheme: string; readonly maxLength: number; readonly maxTimeDigits: number }): TimestampedSignatures | undefined {
  if (typeof value !== 'string' || value.length > options.maxLength) return undefined;
  let t: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (name === 't' && t === undefined) t = v;
    else if (name === options.scheme && /^[0-9a-fA-F]{64}$/.test(v)) signatures.push(Buffer.from(v, 'hex'));
  }
  if (!t || !new RegExp(`^\\d{1,${options.maxTimeDigits}}$`).test(t) || signatures.length === 0) return undefined;
  return { t, signatures };
}
