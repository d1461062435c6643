import { expect } from 'chai';
import { builtinProviders } from '../../lib';
import { resolveEndpoint } from '../../lib/pipeline/endpoint';
import { normalize } from '../../lib/pipeline/normalize';
import { parseJsonText } from '../../lib/shared/parse-json';
import { edited, fixture } from '../helpers/fixtures';
import { unauthenticated } from '../helpers/unauthenticated';

describe('the payload the ledger keeps', () => {
  const endpoint = unauthenticated(() => resolveEndpoint(builtinProviders.tokenex, { auth: 'none' }));
  const core = { clockSkewMs: 300_000, cardReference: (card: string) => `card_${card.length}` };
  const stored = (text: string) => {
    const raw = Buffer.from(text);
    const { value, text: json } = parseJsonText(raw);
    return normalize(endpoint, core, value, raw, new Date(), undefined, json).stored();
  };

  it('is the text received, byte for byte, when nothing in it is redacted, long digit strings included', () => {
    const text = fixture('tokenex', 'request').text;
    expect(text).to.match(/"\d{20}"/, 'the example carries a 20-digit reference number');
    expect(stored(text).json).to.equal(text);
  });

  it('is serialized again when the text holds a long number, whose digits as written JSON.parse did not keep', () => {
    const text = edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.messageId = 'long-number'; })
      .replace(/}\s*$/, ', "fraction": 0.41111111111111111111 }');
    const kept = stored(text);
    expect(kept.json).to.equal(undefined);
    expect(JSON.stringify(kept.payload)).to.not.include('41111111111111111111');
  });

  it('is the redacted payload when a string held a card number', () => {
    const text = edited('tokenex', 'request', (p) => { p.message = 'pan=4111111111111111'; });
    const kept = stored(text);
    expect(kept.json).to.equal(undefined);
    expect(JSON.stringify(kept.payload)).to.include('[REDACTED]').and.not.include('4111111111111111');
  });
});
