import { expect } from 'chai';
import { ConfigurationError, createTokenWebhooks, defineProvider } from '../../lib';
import { unauthenticated } from '../helpers/unauthenticated';
import { DESCRIPTORS } from '../providers/descriptors';

const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigurationError);
    return (error as ConfigurationError).code;
  }
  throw new Error('expected a ConfigurationError');
};

describe('misconfiguration is refused at start-up, with a code', () => {
  it('an endpoint without authentication refuses to start unless auth is "none"', () => {
    // @ts-expect-error: nor does it compile
    expect(code(() => webhooks.tokenex())).to.equal('ERR_NTW_AUTH_REQUIRED');
    // @ts-expect-error: nor does it compile
    expect(code(() => webhooks.ni({}))).to.equal('ERR_NTW_AUTH_REQUIRED');
    // @ts-expect-error: nor does it compile
    expect(code(() => webhooks.firstoken())).to.equal('ERR_NTW_AUTH_REQUIRED');
    // @ts-expect-error: nor does it compile
    expect(code(() => webhooks.cybersource())).to.equal('ERR_NTW_CYBERSOURCE_KEY');
    expect(unauthenticated(() => webhooks.firstoken({ auth: 'none' }))).to.be.a('function');
  });

  it('the same holds for a provider of your own', () => {
    const open = defineProvider({
      name: 'open', schema: { type: 'object' }, authenticator: () => undefined,
      eventId: () => 'x', normalize: () => ({ type: 'token.updated', tokenRef: 'x' }),
    });
    expect(code(() => webhooks.endpoint(open))).to.equal('ERR_NTW_AUTH_REQUIRED');
    expect(unauthenticated(() => webhooks.endpoint(open, { auth: 'none' } as never))).to.be.a('function');
    expect(webhooks.endpoint(open, { authenticate: () => true })).to.be.a('function');
  });

  it('bad numeric options', () => {
    for (const options of [{ leaseMs: 0 }, { cacheMax: -1 }, { cacheMax: 0.5 }, { inbox: { concurrency: 0.5 } }, { inbox: { maxAttempts: 0.9 } },
      { retentionMs: Number.NaN }, { pruneIntervalMs: 0 }]) {
      expect(code(() => createTokenWebhooks(options))).to.equal('ERR_NTW_OPTION');
    }
  });

  it('weak or malformed credentials', () => {
    expect(code(() => webhooks.tokenex({ auth: { bearer: 'short' } }))).to.equal('ERR_NTW_AUTH_BEARER');
    expect(code(() => webhooks.tokenex({ auth: {} }))).to.equal('ERR_NTW_AUTH_EMPTY');
    expect(code(() => webhooks.firstoken({ auth: { allowIps: ['10.0.0.0/33'] } }))).to.equal('ERR_NTW_IP_ALLOW_LIST');
    expect(code(() => webhooks.cybersource({ keys: { k: 'not base64!' } }))).to.equal('ERR_NTW_CYBERSOURCE_KEY');
  });

  for (const d of DESCRIPTORS.filter((x) => x.misconfigured)) {
    it(`${d.name}: options that cannot authenticate are refused with their code`, () => {
      for (const { options, code: expected } of d.misconfigured!) expect(code(() => webhooks.endpoint(d.name, options as never)), JSON.stringify(options)).to.equal(expected);
    });
  }

  it('a schema of your own that ajv cannot compile throws at mount', () => {
    expect(() => unauthenticated(() => webhooks.tokenex({ auth: 'none', schema: { type: 'object', requird: ['x'] } }))).to.throw(/unknown keyword/);
  });
});
