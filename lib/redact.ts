const REDACTED = '[REDACTED]';

/** Keys whose values never leave the process in clear, whatever the provider. */
const DEFAULT_SECRET_KEYS = ['activationCode', 'activation_code', 'otp', 'password', 'cvv', 'cvc', 'pan', 'cardNumber', 'card_number'];

// Card-number-like digit runs (12+ digits, optionally grouped by spaces or dashes, even inside a longer
// word such as an id: `evt_01J4111111111111111` loses its digits), emails, and phone numbers.
const PATTERNS: readonly RegExp[] = [
  /(?<!\d)\d(?:[ -]?\d){11,}(?!\d)/g,
  /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g,
  // Phone numbers; not the digit groups of a UUID or other dash-joined hex id (`b876d568-8411-4638-…`).
  /(?<![0-9A-Fa-f]-)\+?\b\d(?:[ -]?\d){6,10}\b(?!-[0-9A-Fa-f])/g,
];

/** Scrub card numbers, emails and phone numbers from free text (log lines, error messages). */
export function redactText(text: string): string {
  return PATTERNS.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
}

/** A function making deep copies with the values of secret keys replaced: used before anything is persisted. */
export function secretRedactor(extraKeys: readonly string[] = []): (value: unknown) => unknown {
  const keys = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) {
      out[k] = keys.has(k.toLowerCase()) && inner !== '' && inner !== null ? REDACTED : walk(inner);
    }
    return out;
  };
  return walk;
}
