import { expect } from 'chai';
import { edited } from '../helpers/fixtures';
import { BASIC, NI_CLIENTS, NI_STATIC, SECRETS } from './support';
import type { ProviderName } from './support';
import { descriptor } from '../providers/descriptors';

/** Values that must never appear in any log line, error body or error message. */
export const PAN = '4111111111111111';
export const PAN_SPACED = '4111 1111 1111 1111';
export const EMAIL = 'alice.cardholder@example.com';
export const PHONE = '+971501234567';
export const ACTIVATION_CODE = '739146';
export const SENSITIVE = [
  PAN, PAN_SPACED, EMAIL, PHONE, ACTIVATION_CODE,
  // from the NI seed: card id, email, phone
  '52913582186153682368', 'abcd@gmail.com', '0554873333',
  // credentials
  ...SECRETS, NI_STATIC, BASIC.password, ...NI_CLIENTS.map((c) => c.clientSecret),
];
export const LEAK_PATTERNS: [string, RegExp][] = [
  ["card-number-like digit run (13 to 19 digits; NI's 12-digit reference id is not one)", /\d(?:[ -]?\d){12,}/],
  ['email', /[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}/],
  // not the digit groups of a UUID (`b876d568-8411-4638-…`), which log lines keep readable
  ['phone number', /(?<![0-9A-Fa-f]-?)\+?\d(?:[ -]?\d){8,}(?!-?[0-9A-Fa-f])/],
];

export function expectClean(what: string, raw: string): void {
  const text = raw.replace(/"id":"\d{12}"/g, '"id":"<NI reference>"'); // NI's response format: our random 12-digit reference
  for (const value of SENSITIVE) expect(text, `${what} contains ${value.slice(0, 4)}…`).to.not.include(value);
  for (const [name, pattern] of LEAK_PATTERNS) expect(pattern.exec(text)?.[0], `${what}: ${name}`).to.equal(undefined);
}

/** Payloads that carry card data, contact data and activation codes where a provider may put free text. */
export function hostileBodies(provider: ProviderName): string[] {
  switch (provider) {
    case 'cybersource':
      return [
        edited('cybersource', 'network-token-provisioned', (p) => { p.payload.data.id = PAN; }),
        edited('cybersource', 'network-token-provisioned', (p) => { p.payload.data.reason = `${EMAIL} ${PHONE}`; }),
        edited('cybersource', 'network-token-provisioned', (p) => { p.eventDate = PAN_SPACED; }),
      ];
    case 'tokenex':
      return [
        edited('tokenex', 'request', (p) => { p.token = PAN; p.networkTokenStateChangeNotification.messageId = EMAIL; }),
        edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.currentTokenState = PAN; }),
        edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.tokenReferenceId = PHONE; }),
      ];
    case 'ni':
      return [
        edited('ni', 'sample-request-for-ac', (p) => { p.id = `${PAN}-${ACTIVATION_CODE}`; p.details.token.activationCode = ACTIVATION_CODE; }),
        edited('ni', 'sample-request-for-ac', (p) => { p.type = ACTIVATION_CODE; p.details.card.email = EMAIL; }),
        edited('ni', 'sample-request-for-td', (p) => { p.details.token.tokenEventIndicator = PHONE; }),
      ];
    case 'firstoken':
      return [
        edited('firstoken', 'active', (p) => { p.event_id = EMAIL; p.data.ft_token = PAN; }),
        edited('firstoken', 'active', (p) => { p.status = PAN_SPACED; }),
        edited('firstoken', 'active', (p) => { p.data.created_at = PHONE; }),
      ];
    default:
      return [...descriptor(provider).withPersonalData?.({ pan: PAN, email: EMAIL, phone: PHONE }) ?? []];
  }
}

