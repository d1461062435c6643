import { X509Certificate, constants, createCipheriv, createPrivateKey, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks, isNtwError } from '../../../lib';
import type { MastercardOptions, TokenEvent } from '../../../lib';
import { decryptNotification, encryptNotification, heldKeys, keyFingerprints } from '../../../lib/providers/mastercard-decryption';
import { buildPayload, deliver } from '../../../lib/testing';
import { fixture } from '../../helpers/fixtures';
import { Certificates } from './certificates';
import { RESPONSE_HOST, TEST_KEY } from './keys';

/** mastercard-client-encryption's field-level encryption, as Mastercard's own Node client uses it (it ships no types). */
interface FieldLevelEncryption {
  encrypt(endpoint: string, header: Record<string, string>, body: unknown): { body: Record<string, unknown> };
  decrypt(response: { request: { url: string }; body: unknown }): Record<string, unknown>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FieldLevelEncryption: Library } = require('mastercard-client-encryption') as { FieldLevelEncryption: new (config: object) => FieldLevelEncryption };

/**
 * The configuration of Mastercard's MDES tutorial client (mastercard-api-client-tutorial, nodejs/test/api/TokenizeApi.spec.js)
 * for /notifyTokenUpdated, with the decryption its other operations use on the same field.
 */
function library(options: { fingerprint: 'certificate' | 'publicKey'; digest: 'SHA-256' | 'SHA-512'; key?: { privateKey: string; certificate: string } }): FieldLevelEncryption {
  const key = options.key ?? TEST_KEY;
  return new Library({
    paths: [{
      path: '/notifyTokenUpdated',
      toEncrypt: [{ element: 'encryptedPayload.encryptedData', obj: 'encryptedPayload' }],
      toDecrypt: [{ element: 'encryptedPayload', obj: 'encryptedPayload.encryptedData' }],
    }],
    oaepPaddingDigestAlgorithm: options.digest,
    ivFieldName: 'iv',
    encryptedKeyFieldName: 'encryptedKey',
    encryptedValueFieldName: 'encryptedData',
    oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
    publicKeyFingerprintFieldName: 'publicKeyFingerprint',
    publicKeyFingerprintType: options.fingerprint,
    dataEncoding: 'hex',
    useCertificateContent: true,
    encryptionCertificate: key.certificate,
    privateKey: key.privateKey,
  });
}

const URL = 'https://api.example/digitization/static/1/0/notifyTokenUpdated';
const plain = (name = 'token-suspended') => fixture('mastercard', name).payload;
const libraryEncrypts = (body: object, lib: FieldLevelEncryption) => lib.encrypt(URL, {}, JSON.parse(JSON.stringify(body))).body;
const libraryDecrypts = (body: object, lib: FieldLevelEncryption) => lib.decrypt({ request: { url: URL }, body: JSON.parse(JSON.stringify(body)) });

const certificates = new Certificates();
after(() => certificates.close());
let rotatedKey: { privateKey: string; certificate: string } | undefined;
/** A second key pair with a certificate of its own (a rotation), made by the openssl CLI. */
function otherKey(): { privateKey: string; certificate: string } {
  if (!rotatedKey) {
    const { key, cert } = certificates.selfSigned('rotated Mastercard Encryption Key');
    rotatedKey = { privateKey: key, certificate: cert };
  }
  return rotatedKey;
}

function receiver(options: Partial<MastercardOptions>) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const events: TokenEvent[] = [];
  const errors: unknown[] = [];
  webhooks.onEvent((e) => { events.push(e); }).onError((e) => { errors.push(e); });
  // Mutual TLS is mutual-tls.test.ts's: these deliveries come over plain HTTP, as from behind a TLS terminator.
  const app = express().use('/mc', webhooks.mastercard({ auth: { clientCertificate: { commonName: 'ws.mastercard.com' } }, authenticate: () => true, responseHost: RESPONSE_HOST, ...options } as MastercardOptions));
  const post = (body: object | string) => request(app).post('/mc').set('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
  return { webhooks, events, errors, post };
}

describe('mastercard: the encryptedPayload, against mastercard-client-encryption', () => {
  for (const fingerprint of ['certificate', 'publicKey'] as const) {
    for (const digest of ['SHA-256', 'SHA-512'] as const) {
      it(`decrypts what the library encrypts (fingerprint of the ${fingerprint}, OAEP ${digest}), to what the library's decryption gives`, () => {
        const lib = library({ fingerprint, digest });
        const sealed = libraryEncrypts(plain(), lib);
        const envelope = sealed.encryptedPayload as Record<string, string>;
        expect(envelope.encryptedData).to.match(/^[0-9a-f]+$/);
        expect(envelope.oaepHashingAlgorithm).to.equal(digest.replace('-', ''));
        const ours = decryptNotification(sealed, heldKeys(TEST_KEY));
        expect(ours).to.deep.equal(libraryDecrypts(sealed, lib));
        expect(ours).to.deep.equal(plain());
      });

      it(`encrypts as the library does (fingerprint of the ${fingerprint}, OAEP ${digest}): the library decrypts it`, () => {
        const lib = library({ fingerprint, digest });
        const ours = encryptNotification(plain(), { certificate: TEST_KEY.certificate, fingerprintType: fingerprint, oaepHashingAlgorithm: digest });
        const theirs = libraryEncrypts(plain(), lib);
        // The same fields in the same order, and the same fingerprint.
        expect(Object.keys(ours.encryptedPayload as object)).to.deep.equal(Object.keys(theirs.encryptedPayload as object));
        expect((ours.encryptedPayload as Record<string, string>).publicKeyFingerprint).to.equal((theirs.encryptedPayload as Record<string, string>).publicKeyFingerprint);
        expect(libraryDecrypts(ours, lib)).to.deep.equal(plain());
      });
    }
  }

  it('opens a copy of a notification with the AES key its first delivery unwrapped: no private-key operation, the same checks', () => {
    const lib = library({ fingerprint: 'certificate', digest: 'SHA-256' });
    const sealed = libraryEncrypts(plain(), lib);
    const [held] = heldKeys(TEST_KEY);
    expect(decryptNotification(sealed, [held!])).to.deep.equal(plain());
    // The same key held with another private key: only what it kept can open the copy.
    const [other] = heldKeys({ privateKey: otherKey().privateKey });
    const keeping = { ...held!, privateKey: other!.privateKey };
    expect(decryptNotification(JSON.parse(JSON.stringify(sealed)), [keeping])).to.deep.equal(plain());
    const tampered = (change: (envelope: Record<string, string>) => void) => {
      const copy = JSON.parse(JSON.stringify(sealed)) as { encryptedPayload: Record<string, string> };
      change(copy.encryptedPayload);
      return copy;
    };
    const refused = (body: object) => {
      try {
        decryptNotification(body, [keeping]);
        return 'decrypted';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    // Kept under its OAEP digest: the same wrapped key labelled SHA512 is unwrapped anew, and does not unwrap.
    expect(refused(tampered((e) => { e.oaepHashingAlgorithm = 'SHA512'; }))).to.equal('decryption_failed');
    expect(refused(tampered((e) => { e.encryptedData = e.encryptedData!.slice(0, -32); }))).to.equal('decryption_failed');
    // Another notification is another wrapped key: the private key held must open it.
    expect(refused(libraryEncrypts(plain(), lib))).to.equal('decryption_failed');
    expect(decryptNotification(libraryEncrypts(plain(), lib), [held!])).to.deep.equal(plain());
  });

  it('computes the fingerprints as the library does', () => {
    const [spki, certificate] = keyFingerprints(new X509Certificate(TEST_KEY.certificate).publicKey, new X509Certificate(TEST_KEY.certificate));
    const named = (fingerprint: 'certificate' | 'publicKey') => (libraryEncrypts(plain(), library({ fingerprint, digest: 'SHA-256' })).encryptedPayload as Record<string, string>).publicKeyFingerprint;
    expect([spki, certificate]).to.deep.equal([named('publicKey'), named('certificate')]);
  });

  it('through the middleware: the library\'s encryption is accepted, answered { responseHost, responseId }, and kept decrypted', async () => {
    const { webhooks, events, post } = receiver({ decryption: TEST_KEY });
    const sealed = libraryEncrypts(plain('token-info-updated'), library({ fingerprint: 'certificate', digest: 'SHA-512' }));
    const res = await post(sealed);
    expect([res.status, res.body]).to.deep.equal([200, { responseHost: RESPONSE_HOST, responseId: '123462' }]);
    expect(events[0]!.raw).to.deep.equal(plain('token-info-updated'));
    const [kept] = await webhooks.listEvents();
    const text = JSON.stringify(kept!.payload);
    const envelope = sealed.encryptedPayload as Record<string, string>;
    for (const secret of [envelope.encryptedData!, envelope.encryptedKey!, envelope.iv!]) expect(text).to.not.include(secret);
    // Of the card's number, only its last four digits are kept.
    const info = (kept!.payload as { encryptedPayload: { encryptedData: { tokens: { tokenInfo: Record<string, string> }[] } } }).encryptedPayload.encryptedData.tokens[0]!.tokenInfo;
    expect([info.accountPanPrefix, info.accountPanSuffix]).to.deep.equal(['[REDACTED]', '0011']);
  });

  it('a retry (encrypted anew) is a duplicate; several tokens are an event each, deduped each', async () => {
    const { events, post } = receiver({ decryption: TEST_KEY });
    const lib = library({ fingerprint: 'certificate', digest: 'SHA-256' });
    const two = fixture('mastercard', 'several/two-tokens').payload;
    const first = await post(libraryEncrypts(two, lib));
    expect([first.status, first.headers['ntw-outcome'], first.body]).to.deep.equal([200, 'accepted', { responseHost: RESPONSE_HOST, responseId: '123463' }]);
    expect(events.map((e) => [e.id, e.type, e.reason])).to.deep.equal([
      ['123463:DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45', 'token.suspended', 'DEVICE_LOST'],
      ['123463:DWSPMC00000000032d72d4ffcb2f4136a0532d3093ff1a42', 'token.deleted', 'ACCOUNT_CLOSED'],
    ]);
    // Each event keeps its own token only.
    expect(events.map((e) => (e.raw as { encryptedPayload: { encryptedData: { tokens: unknown[] } } }).encryptedPayload.encryptedData.tokens.length)).to.deep.equal([1, 1]);
    const retry = await post(libraryEncrypts(two, lib));
    expect([retry.status, retry.headers['ntw-outcome']]).to.deep.equal([200, 'duplicate']);
    expect(events).to.have.length(2);
  });

  it('rotation: each notification is decrypted with the key its publicKeyFingerprint names', async () => {
    const rotated = otherKey();
    const { events, post } = receiver({ decryption: [TEST_KEY, rotated] });
    for (const [key, id] of [[TEST_KEY, 'old'], [rotated, 'new']] as const) {
      const res = await post(libraryEncrypts({ ...plain(), requestId: id }, library({ fingerprint: 'certificate', digest: 'SHA-256', key })));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
    expect(events.map((e) => e.id.split(':')[0])).to.deep.equal(['old', 'new']);
  });

  it('a fingerprint computed otherwise: each key held is tried', async () => {
    const { events, post } = receiver({ decryption: { privateKey: TEST_KEY.privateKey } });
    const sealed = libraryEncrypts(plain(), library({ fingerprint: 'certificate', digest: 'SHA-256' }));
    (sealed.encryptedPayload as Record<string, string>).publicKeyFingerprint = '4c4ead5927f0df8117f178eea9308daa58e27c2b';
    expect((await post(sealed)).status).to.equal(200);
    expect(events).to.have.length(1);
  });

  it('a key the receiver does not hold (a rotation it has not caught up with): reported, answered retry-later, nothing stored', async () => {
    const { webhooks, events, errors, post } = receiver({ decryption: TEST_KEY });
    const res = await post(libraryEncrypts(plain(), library({ fingerprint: 'certificate', digest: 'SHA-256', key: otherKey() })));
    expect([res.status, res.body.error.code, res.headers['retry-after']]).to.deep.equal([500, 'not_configured', '5']);
    expect(errors).to.have.length(1);
    expect(isNtwError(errors[0]) && errors[0].code).to.equal('ERR_NTW_MASTERCARD_KEY_UNKNOWN');
    expect(events).to.have.length(0);
    expect(await webhooks.listEvents()).to.have.length(0);
  });

  it('does not decrypt with the key it names: 400 decryption_failed, not reported as ours', async () => {
    const { events, errors, post } = receiver({ decryption: TEST_KEY });
    const lib = library({ fingerprint: 'certificate', digest: 'SHA-256' });
    const tamper = (field: 'encryptedData' | 'encryptedKey' | 'iv' | 'oaepHashingAlgorithm', change: (value: string) => string) => {
      const sealed = libraryEncrypts(plain(), lib);
      const envelope = sealed.encryptedPayload as Record<string, string>;
      envelope[field] = change(envelope[field]!);
      return sealed;
    };
    const flip = (hex: string) => (hex.startsWith('00') ? 'ff' : '00') + hex.slice(2);
    for (const body of [
      tamper('encryptedKey', flip),
      tamper('encryptedData', (hex) => hex.slice(0, -32)), // a block short: the padding is wrong
      tamper('oaepHashingAlgorithm', () => 'SHA512'),
    ]) {
      const res = await post(body);
      expect([res.status, res.body.error?.code], JSON.stringify(res.body)).to.deep.equal([400, 'decryption_failed']);
    }
    // A changed IV decrypts the first block to other bytes, padding intact: no longer JSON, and answered the same
    // as a wrong padding (no padding oracle).
    const res = await post(tamper('iv', flip));
    expect([res.status, res.body.error.code]).to.deep.equal([400, 'decryption_failed']);
    expect(events).to.have.length(0);
    expect(errors).to.have.length(0);
  });

  it('a notification in clear is not authentic to an endpoint that decrypts (401); a malformed envelope is a schema violation naming its field', async () => {
    const { post } = receiver({ decryption: TEST_KEY });
    expect((await post(plain())).status).to.equal(401);
    const sealed = () => libraryEncrypts(plain(), library({ fingerprint: 'certificate', digest: 'SHA-256' })) as { encryptedPayload: Record<string, unknown> };
    for (const [field, value, path] of [
      ['encryptedData', 'not hex', '/encryptedPayload/encryptedData'],
      ['encryptedData', { wrong: true }, '/encryptedPayload/encryptedData'],
      ['encryptedKey', undefined, '/encryptedPayload'],
      ['iv', 'abcd', '/encryptedPayload/iv'],
      ['oaepHashingAlgorithm', 'MD5', '/encryptedPayload/oaepHashingAlgorithm'],
      ['publicKeyFingerprint', 42, '/encryptedPayload/publicKeyFingerprint'],
    ] as const) {
      const body = sealed();
      if (value === undefined) delete body.encryptedPayload[field];
      else body.encryptedPayload[field] = value;
      const res = await post(body);
      expect([res.status, res.body.error.code, res.body.error.issues[0].path], field).to.deep.equal([400, 'schema_violation', path]);
    }
  });

  it('without an IV, a zero IV (as the API specification says); a KeyObject as the key', async () => {
    const { events, post } = receiver({ decryption: { privateKey: createPrivateKey(TEST_KEY.privateKey) } });
    const sealed = encryptNotification(plain(), { publicKey: TEST_KEY.privateKey });
    const envelope = sealed.encryptedPayload as Record<string, string>;
    // The data encrypted again under a zero IV, sent without one.
    const secret = privateDecrypt({ key: TEST_KEY.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(envelope.encryptedKey!, 'hex'));
    const cipher = createCipheriv('aes-128-cbc', secret, Buffer.alloc(16));
    envelope.encryptedData = Buffer.concat([cipher.update(JSON.stringify((plain() as { encryptedPayload: { encryptedData: unknown } }).encryptedPayload.encryptedData)), cipher.final()]).toString('hex');
    delete envelope.iv;
    expect((await post(sealed)).status).to.equal(200);
    expect(events).to.have.length(1);
  });

  it('without decryption keys, the endpoint takes notifications decrypted before it (a gateway), and reports an encrypted one', async () => {
    const { events, errors, post } = receiver({});
    expect((await post(plain())).status).to.equal(200);
    expect(events).to.have.length(1);
    const res = await post(libraryEncrypts({ ...plain(), requestId: 'x' }, library({ fingerprint: 'certificate', digest: 'SHA-256' })));
    expect(res.status).to.equal(500);
    expect(isNtwError(errors[0]) && errors[0].code).to.equal('ERR_NTW_MASTERCARD_KEY_UNKNOWN');
  });

  it('refuses keys that cannot decrypt at start-up', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const code = (options: object) => {
      try {
        webhooks.mastercard({ auth: { clientCertificate: { commonName: 'ws.mastercard.com' } }, ...options } as MastercardOptions);
        return 'mounted';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(code({ decryption: { privateKey: ec } })).to.equal('ERR_NTW_MASTERCARD_KEY');
    expect(code({ decryption: { privateKey: small } })).to.equal('ERR_NTW_MASTERCARD_KEY');
    expect(code({ decryption: { privateKey: TEST_KEY.privateKey, certificate: otherKey().certificate } })).to.equal('ERR_NTW_MASTERCARD_KEY');
    expect(code({ decryption: [TEST_KEY, { privateKey: Buffer.from(TEST_KEY.privateKey) }] })).to.equal('mounted');
  });

  it('the test kit encrypts as MDES does: the library decrypts what network-token-webhooks/testing sends', async () => {
    const seen: unknown[] = [];
    const app = express().use(express.raw({ type: '*/*' }), (req, res) => { seen.push(JSON.parse((req.body as Buffer).toString('utf8'))); res.json({}); });
    const payload = buildPayload('mastercard', 'suspended', { id: 'kit-1' });
    await deliver(app, 'mastercard', payload, { credentials: { mastercard: TEST_KEY } });
    const lib = library({ fingerprint: 'certificate', digest: 'SHA-256' });
    expect(libraryDecrypts(seen[0] as object, lib)).to.deep.equal(payload);
    expect(((seen[0] as { encryptedPayload: Record<string, string> }).encryptedPayload).publicKeyFingerprint)
      .to.equal((libraryEncrypts(payload, lib).encryptedPayload as Record<string, string>).publicKeyFingerprint);
  });
});
