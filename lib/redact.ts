export const REDACTED = '[REDACTED]';

/** Keys whose values never leave the process in clear, whatever the provider. */
const DEFAULT_SECRET_KEYS = ['activationCode', 'activation_code', 'otp', 'password', 'cvv', 'cvc', 'pan', 'cardNumber', 'card_number'];

/** Digits, possibly grouped by single separators (space, dash, dot, underscore, slash), as card numbers are written. */
const DIGIT_RUN = /(?<![0-9])[0-9](?:[ ._/-]?[0-9])+(?![0-9])/g;
/** Whether `DIGIT_RUN` can find a card number (13 digits or more) in a string: most strings are skipped at this test. */
const MAY_HOLD_CARD = /[0-9](?:[ ._/-]?[0-9]){12}/;
// Starts only where a word starts, so a long string is scanned once, not once per character.
const EMAIL = /(?<![^\s@"'<>(),;:])[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g;
// Phone numbers; not the digit groups of a UUID or other dash-joined hex id (`b876d568-8411-4638-…`).
const PHONE = /(?<![0-9A-Fa-f]-)\+?\b\d(?:[ -]?\d){6,10}\b(?!-[0-9A-Fa-f])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A payment card number by shape: 13 to 19 digits of a payment network's ranges (a first digit from 2 to 6:
 * Mastercard, Amex, Diners, JCB, Visa, Discover, UnionPay, Maestro) that pass the Luhn check. Epoch-millisecond
 * timestamps (first digit 1) and longer identifiers are not card numbers.
 */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && digits[0]! >= '2' && digits[0]! <= '6' && luhnValid(digits);
}

/**
 * The runs `DIGIT_RUN` finds that a card number can be, each whole (greedy, as `DIGIT_RUN`'s are): 13 digits or
 * more, starting with a card network's first digit (2 to 6, `isCardNumber`). A run starts where no digit, alone or
 * before one separator, precedes it. Shorter runs, long ids and epoch-millisecond times (Cybersource's 19-digit
 * instrument identifiers start with 7, times with 1) are not even matched, so no string is made for them.
 */
const CARD_LIKE_RUN = /(?<![0-9]|[0-9][ ._/-])[2-6](?:[ ._/-]?[0-9]){12,}(?![0-9])/g;

const digitsOf = (run: string) => run.replace(/\D/g, '');

/** Whether `text` holds a card number as `maskCardNumbers` finds them. */
function holdsCardNumber(text: string): boolean {
  CARD_LIKE_RUN.lastIndex = 0;
  try {
    for (let run = CARD_LIKE_RUN.exec(text); run; run = CARD_LIKE_RUN.exec(text)) if (isCardNumber(digitsOf(run[0]))) return true;
    return false;
  } finally {
    CARD_LIKE_RUN.lastIndex = 0;
  }
}

/**
 * `text` with every card number in it (grouped or not, alone or inside a longer word) replaced; `text` itself,
 * not a copy, when it holds none (an instrument id of 19 digits, a timestamp).
 */
export function maskCardNumbers(text: string, replacement = REDACTED): string {
  if (!holdsCardNumber(text)) return text;
  return text.replace(CARD_LIKE_RUN, (run) => (isCardNumber(digitsOf(run)) ? replacement : run));
}

/**
 * A card number as one is written in an id: 13 to 19 digits, alone or grouped as cards print them (4-4-4-4 and
 * its 13- to 19-digit variants, Amex's and Diners' 4-6-5 and 4-6-4), set apart from letters and other digits.
 */
const CARD_IN_ID = new RegExp([
  /(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])/.source,
  /(?<![0-9A-Za-z]|\d[ -])(?:\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?|\d{4}[ -]\d{6}[ -]\d{4,5})(?![0-9A-Za-z]|[ -]\d)/.source,
].join('|'), 'g');

/**
 * Whether an id or a token reference holds a card number (`4111111111111111`, `tok_4111…`, `card:4111-1111-1111-1111:16`).
 * Not a digit run inside a longer word or in other groupings: one random UUID in a thousand holds a Luhn-valid
 * run of 13+ digits (`2319684d-5d47-4535-8856-5610b4978170`), and such an id is the provider's, not a card.
 */
export function namesCardNumber(value: string): boolean {
  if (!MAY_HOLD_CARD.test(value)) return false;
  for (const match of value.matchAll(CARD_IN_ID)) if (isCardNumber(match[0].replace(/\D/g, ''))) return true;
  return false;
}

/**
 * A JSON number that may be a card number (`"pan": 4111111111111111`): an integer of 13 to 19 digits that passes
 * the card check, or one past 2^53, whose digits `JSON.parse` already lost, so it cannot be told apart from one.
 */
export function numberMayBeCard(n: number): boolean {
  if (!Number.isInteger(n) || n < 1e12 || n >= 1e19) return false;
  return !Number.isSafeInteger(n) || isCardNumber(String(n));
}

/** `text` with card numbers and email addresses replaced: what may be kept of any string of a payload. */
export function redactValue(text: string): string {
  // Shorter than 13 characters, a string cannot hold 13 digits: most keys and values are skipped without a regex.
  const masked = text.length >= 13 && MAY_HOLD_CARD.test(text) ? maskCardNumbers(text) : text;
  return masked.includes('@') ? masked.replace(EMAIL, REDACTED) : masked;
}

/**
 * Scrub free text (log lines, error messages) of card numbers, emails and phone numbers. Errs on the safe
 * side: any run of 12 or more digits goes, whatever separates its groups, Luhn-valid or not.
 */
export function redactText(text: string): string {
  return text
    .replace(DIGIT_RUN, (run) => (run.replace(/\D/g, '').length >= 12 ? REDACTED : run))
    .replace(EMAIL, REDACTED)
    .replace(PHONE, REDACTED);
}

/** A character past ASCII: the text check, which compares names as ASCII, cannot vouch for a text holding one. */
const NOT_ASCII = /[^\x00-\x7f]/;
/** A JSON number with an exponent (`4111111111e6`): it may be a card number however few characters it takes. Strings may match too: then the payload is walked. */
const EXPONENT_NUMBER = /(?:^|[:,[])\s*-?[0-9][0-9.+-]*[eE]/;

/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the parser's scan already knows of a text: numbers with an exponent, characters past ASCII (`TextFacts`). */
export interface KnownOfText {
  readonly exponent: boolean;
  readonly ascii: boolean;
}

/**
 * A function telling, from a JSON text alone, that `payloadRedactor(extraKeys)` would change nothing in the value
 * it parses to: no key named as a secret one, no card number, no email, no number that may be a card. It answers
 * `false` whenever it cannot tell (an escape, a character past ASCII, a number with an exponent, an `@`, a secret
 * name between quotes even as a value), and the payload is walked then. A few searches of the text cost less than
 * a walk of the payload. What the parser's scan found (`known`) spares two of them.
 * Numbers of 13 characters or more are the caller's to rule out (the parser found them: `writesLongNumber`).
 */
export function cleanJsonText(extraKeys: readonly string[] = []): (json: string, known?: KnownOfText) => boolean {
  const names = [...new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.trim().toLowerCase()))].filter(Boolean);
  // A secret name between quotes, spaces around it allowed: as a key (`"pan":`, `" PAN "`), or as a value equal to
  // it, which is not told apart here. One search for them all. In an ASCII text, `i` compares as lower case does
  // and `\s` is the whitespace `trim` removes.
  const quotedName = new RegExp(`"\\s*(?:${names.map(literally).join('|')})\\s*"`, 'i');
  return (json, known) => {
    if (known ? known.exponent || !known.ascii : EXPONENT_NUMBER.test(json) || NOT_ASCII.test(json)) return false;
    if (json.includes('\\') || json.includes('@')) return false;
    return !quotedName.test(json) && !holdsCardNumber(json);
  };
}

/**
 * A function making a payload fit to keep: the values of secret keys replaced (non-empty ones), and card numbers
 * and emails removed from every other string, keys included, whatever their name, and from numbers. Copy on write: an object or
 * array with nothing to redact is returned as it is, so a clean payload costs a walk and no copy.
 */
export function payloadRedactor(extraKeys: readonly string[] = []): (value: unknown) => unknown {
  const keys = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.trim().toLowerCase()));
  // Payloads of one provider use a few key names over and over: each is lower-cased and looked up once.
  const secretNames = new Map<string, boolean>();
  const isSecret = (k: string): boolean => {
    let secret = secretNames.get(k);
    if (secret === undefined) {
      secret = keys.has(k.trim().toLowerCase());
      if (secretNames.size >= 1024) secretNames.clear();
      secretNames.set(k, secret);
    }
    return secret;
  };
  const redactedValue = (k: string, inner: unknown): unknown =>
    isSecret(k) && inner !== '' && inner !== null && inner !== undefined ? REDACTED : walk(inner);
  const walkObject = (v: Record<string, unknown>): Record<string, unknown> => {
    const names = Object.keys(v);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < names.length; i++) {
      const k = names[i]!;
      const inner = v[k];
      const value = redactedValue(k, inner);
      let key = redactValue(k);
      if (!out) {
        if (key === k && value === inner) continue;
        out = {};
        for (let j = 0; j < i; j++) out[names[j]!] = v[names[j]!];
      }
      while (key !== k && key in out) key = `${key}_`;
      out[key] = value;
    }
    return out ?? v;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactValue(v);
    if (typeof v === 'number') return numberMayBeCard(v) ? REDACTED : v;
    if (v === null || typeof v !== 'object') return v;
    if (!Array.isArray(v)) return walkObject(v as Record<string, unknown>);
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = walk(v[i]);
      if (item !== v[i]) (out ??= v.slice())[i] = item;
    }
    return out ?? v;
  };
  return walk;
}
