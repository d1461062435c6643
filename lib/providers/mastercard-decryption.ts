import { X509Certificate, constants, createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ConfigurationError, WebhookError } from '../errors';
import type { SchemaIssue } from '../errors';
import { logger, loggerOf } from '../log';
import { LruMap } from '../shared/lru-map';
import { parseJson } from '../shared/parse-json';

const log = logger('mastercard');

/**
 * One key pair of the token requestor's, whose public key Mastercard encrypts notifications to (the "Mastercard
 * Encryption Key" of the Developers project): its private key, and its certificate when Mastercard names the key by
 * the certificate's fingerprint.
 */
export interface MastercardDecryptionKey {
  /** The RSA private key (2048 bits or more): PEM text or bytes (PKCS#8 or PKCS#1), or a `KeyObject`. */
  readonly privateKey: string | Buffer | KeyObject;
  /** Its certificate: PEM text or bytes, or an `X509Certificate`. */
  readonly certificate?: string | Buffer | X509Certificate;
}

/** `mastercard({ decryption })`: one key, or several while you rotate (each notification names its own). */
export type MastercardDecryption = MastercardDecryptionKey | readonly MastercardDecryptionKey[];

/** A key the receiver holds, with every fingerprint Mastercard may name it by (lower-case hex). */
export interface HeldKey {
  readonly privateKey: KeyObject;
  readonly fingerprints: ReadonlySet<string>;
  /**
   * The AES keys it unwrapped last, by wrapped key (`encryptedKey` as sent), with the OAEP digest that unwrapped
   * each: a copy of a notification (MDES retries one until it is acknowledged) is opened without another RSA
   * private-key operation, which costs a millisecond or more of CPU. Only keys that unwrapped are kept.
   */
  readonly unwrapped: LruMap<string, { readonly oaepHash: string; readonly secret: Buffer }>;
}

/** How many unwrapped AES keys a held key keeps: the last notifications' (a few hundred kilobytes at most). */
const UNWRAPPED_KEPT = 1024;

const KEY_ERROR = 'ERR_NTW_MASTERCARD_KEY';
const MIN_MODULUS_BITS = 2048;
const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The fingerprints mastercard-client-encryption computes (`publicKeyFingerprintType`): `publicKey`, the SHA-256 of the
 * public key's SubjectPublicKeyInfo; `certificate`, the SHA-256 of the certificate's DER; both hex (MDES's encoding).
 */
export function keyFingerprints(publicKey: KeyObject, certificate?: X509Certificate): string[] {
  const spki = sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
  return certificate ? [spki, sha256Hex(certificate.raw)] : [spki];
}

function privateKeyOf(value: unknown, at: string): KeyObject {
  let key: KeyObject;
  try {
    key = typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'private' && typeof (value as KeyObject).export === 'function'
      ? value as KeyObject
      : createPrivateKey(value as string | Buffer);
  } catch {
    throw new ConfigurationError(KEY_ERROR, `mastercard(): ${at}.privateKey must be an RSA private key (PEM text or bytes, or a KeyObject)`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
    throw new ConfigurationError(KEY_ERROR, `mastercard(): ${at}.privateKey must be an RSA private key of ${MIN_MODULUS_BITS} bits or more (Mastercard encrypts to an RSA key)`);
  }
  return key;
}

function certificateOf(value: unknown, at: string): X509Certificate {
  try {
    return value instanceof X509Certificate ? value : new X509Certificate(value as string | Buffer);
  } catch {
    throw new ConfigurationError(KEY_ERROR, `mastercard(): ${at}.certificate must be an X.509 certificate (PEM text or bytes, or an X509Certificate)`);
  }
}

/** The keys of `mastercard({ decryption })`, checked at mount: each an RSA private key, with the certificate of its public key when given. */
export function heldKeys(decryption: unknown): readonly HeldKey[] {
  if (decryption === undefined) return [];
  const list: readonly unknown[] = Array.isArray(decryption) ? decryption : [decryption];
  if (list.length === 0) {
    throw new ConfigurationError(KEY_ERROR, 'mastercard() decryption must be { privateKey, certificate? }, the key pair Mastercard encrypts notifications to, or several of them');
  }
  return list.map((entry, i) => {
    const at = Array.isArray(decryption) ? `decryption[${i}]` : 'decryption';
    if (entry === null || typeof entry !== 'object') throw new ConfigurationError(KEY_ERROR, `mastercard(): ${at} must be { privateKey, certificate? }`);
    const { privateKey: given, certificate: givenCertificate } = entry as Partial<MastercardDecryptionKey>;
    const privateKey = privateKeyOf(given, at);
    const publicKey = createPublicKey(privateKey);
    const certificate = givenCertificate === undefined ? undefined : certificateOf(givenCertificate, at);
    if (certificate && !certificate.publicKey.equals(publicKey)) {
      throw new ConfigurationError(KEY_ERROR, `mastercard(): ${at}.certificate is not the certificate of its privateKey`);
    }
    return { privateKey, fingerprints: new Set(keyFingerprints(publicKey, certificate)), unwrapped: new LruMap(UNWRAPPED_KEPT) };
  });
}

/** The encrypted part of a notification, as MDES sends it (`encryptedPayload`). */
interface Sealed {
  readonly encryptedData: string;
  readonly encryptedKey: string;
  readonly iv?: string;
  readonly publicKeyFingerprint?: string;
  readonly oaepHashingAlgorithm?: string;
}

/** The fields mastercard-client-encryption removes once it has decrypted `encryptedData` in place. */
const CRYPTO_FIELDS: ReadonlySet<string> = new Set(['encryptedKey', 'iv', 'publicKeyFingerprint', 'oaepHashingAlgorithm']);

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const OAEP_HASHES: Readonly<Record<string, string>> = { SHA256: 'sha256', 'SHA-256': 'sha256', SHA512: 'sha512', 'SHA-512': 'sha512' };

const malformed = (path: string, message: string): WebhookError => new WebhookError('schema_violation', { issues: [{ path, message }] as SchemaIssue[] });
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The envelope's encryption fields, or the refusal of an envelope that is not one: a notification whose tokens
 * arrive in clear (`encryptedData` an object holding them) is not authentic to an endpoint that decrypts, since MDES
 * encrypts every one to the token requestor's key (`undefined`: one that holds no key takes it as it is); any other
 * malformed field is a schema violation naming it.
 */
function sealedOf(payload: unknown, keys: readonly HeldKey[]): Sealed | undefined {
  if (!isObject(payload)) throw malformed('/', 'must be object');
  const sealed = payload.encryptedPayload;
  if (sealed === undefined) throw malformed('/', "must have required property 'encryptedPayload'");
  if (!isObject(sealed)) throw malformed('/encryptedPayload', 'must be object');
  const { encryptedData, encryptedKey, iv, publicKeyFingerprint, oaepHashingAlgorithm } = sealed;
  if (isObject(encryptedData) && Array.isArray(encryptedData.tokens)) {
    if (keys.length === 0) return undefined;
    log.info({ provider: 'mastercard', code: 'unauthorized' }, 'refused: encryptedPayload.encryptedData arrived in clear, not encrypted to a key of the receiver', loggerOf(payload));
    throw new WebhookError('unauthorized');
  }
  if (encryptedData === undefined) throw malformed('/encryptedPayload', "must have required property 'encryptedData'");
  if (typeof encryptedData !== 'string' || !HEX.test(encryptedData)) throw malformed('/encryptedPayload/encryptedData', 'must be hex');
  if (encryptedKey === undefined) throw malformed('/encryptedPayload', "must have required property 'encryptedKey'");
  if (typeof encryptedKey !== 'string' || !HEX.test(encryptedKey)) throw malformed('/encryptedPayload/encryptedKey', 'must be hex');
  if (iv !== undefined && (typeof iv !== 'string' || !/^[0-9a-fA-F]{32}$/.test(iv))) throw malformed('/encryptedPayload/iv', 'must be 32 hex digits');
  if (publicKeyFingerprint !== undefined && (typeof publicKeyFingerprint !== 'string' || publicKeyFingerprint.length > 128)) {
    throw malformed('/encryptedPayload/publicKeyFingerprint', 'must be string');
  }
  if (oaepHashingAlgorithm !== undefined && (typeof oaepHashingAlgorithm !== 'string' || !Object.hasOwn(OAEP_HASHES, oaepHashingAlgorithm.toUpperCase()))) {
    throw malformed('/encryptedPayload/oaepHashingAlgorithm', 'must be SHA256 or SHA512');
  }
  return sealed as unknown as Sealed;
}

/**
 * `encryptedData` decrypted with one key, as mastercard-client-encryption decrypts it: the AES key unwrapped with
 * RSA-OAEP (its digest and MGF1's, `oaepHashingAlgorithm`; both tried when it is absent), then AES-CBC with PKCS#7
 * padding under `iv` (all zero when absent, as the API specification says), hex throughout. `undefined` when it
 * does not decrypt with this key. MDES's other scheme when `oaepHashingAlgorithm` is absent, PKCS#1 v1.5, is not
 * accepted: Node refuses to decrypt it (an oracle an attacker can query).
 */
function openWith(key: HeldKey, sealed: Sealed): Buffer | undefined {
  const secret = unwrap(key, sealed);
  if (!secret) return undefined;
  try {
    const decipher = createDecipheriv(`aes-${secret.length * 8}-cbc`, secret, sealed.iv ? Buffer.from(sealed.iv, 'hex') : Buffer.alloc(16));
    return Buffer.concat([decipher.update(Buffer.from(sealed.encryptedData, 'hex')), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** The AES key `encryptedKey` wraps, unwrapped with `key` (or kept from when it was: `HeldKey.unwrapped`); `undefined` when it does not unwrap to one. */
function unwrap(key: HeldKey, sealed: Sealed): Buffer | undefined {
  const hashes = sealed.oaepHashingAlgorithm ? [OAEP_HASHES[sealed.oaepHashingAlgorithm.toUpperCase()]!] : ['sha256', 'sha512'];
  const wrapped = sealed.encryptedKey;
  // Kept only under the digest the notification asks for: a wrapped key unwraps under one digest at most.
  const kept = key.unwrapped.get(wrapped);
  if (kept && hashes.includes(kept.oaepHash)) return kept.secret;
  for (const oaepHash of hashes) {
    let secret: Buffer;
    try {
      secret = privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(wrapped, 'hex'));
    } catch {
      continue;
    }
    if (secret.length !== 16 && secret.length !== 24 && secret.length !== 32) return undefined;
    key.unwrapped.set(wrapped, { oaepHash, secret });
    return secret;
  }
  return undefined;
}

/**
 * The notification with `encryptedPayload.encryptedData` decrypted in place and the encryption fields removed, as
 * mastercard-client-encryption leaves it (`toDecrypt: [{ element: 'encryptedPayload', obj: 'encryptedPayload.encryptedData' }]`).
 * The key is the one whose fingerprint the payload names; when it names none the receiver knows, each key is tried
 * (a fingerprint computed otherwise), and if none decrypts it, the receiver lacks the key: reported, retry-later.
 * Without keys, the endpoint takes notifications decrypted before they reach it (by a gateway): one in clear is
 * answered as it is.
 */
export function decryptNotification(payload: unknown, keys: readonly HeldKey[]): Record<string, unknown> {
  const sealed = sealedOf(payload, keys);
  if (!sealed) return payload as Record<string, unknown>;
  if (keys.length === 0) {
    throw new ConfigurationError('ERR_NTW_MASTERCARD_KEY_UNKNOWN',
      'mastercard: a notification arrived encrypted and this endpoint holds no key: give it decryption: { privateKey } (answered retry-later until then)');
  }
  const fingerprint = sealed.publicKeyFingerprint?.toLowerCase();
  const named = fingerprint === undefined ? [] : keys.filter((key) => key.fingerprints.has(fingerprint));
  let plain: Buffer | undefined;
  for (const key of named.length > 0 ? named : keys) {
    plain = openWith(key, sealed);
    if (plain) break;
  }
  if (!plain) {
    if (named.length > 0 || fingerprint === undefined) {
      log.info({ provider: 'mastercard', code: 'decryption_failed' }, `refused: encryptedPayload does not decrypt with ${named.length > 0 ? 'the key its publicKeyFingerprint names' : 'any key held'}`, loggerOf(payload as object));
      throw new WebhookError('decryption_failed');
    }
    throw new ConfigurationError('ERR_NTW_MASTERCARD_KEY_UNKNOWN',
      `mastercard: a notification is encrypted to a key this receiver does not hold (publicKeyFingerprint ${fingerprint}); add its private key to decryption (answered retry-later until then)`);
  }
  if (named.length === 0 && fingerprint !== undefined) log.warn({ provider: 'mastercard', fingerprint }, 'publicKeyFingerprint names no key held; decrypted with one of them', loggerOf(payload as object));
  let decrypted: unknown;
  try {
    // Nested two levels down: the limits of the whole notification still hold.
    decrypted = parseJson(plain, { maxDepth: 30, maxArrayLength: 1000 });
  } catch {
    // One answer for every way the ciphertext can be wrong, its padding or what it decrypts to: an answer that told
    // them apart would be a padding oracle, decrypting a captured notification a byte at a time.
    log.info({ provider: 'mastercard', code: 'decryption_failed' }, 'refused: encryptedPayload decrypts to no JSON this receiver reads', loggerOf(payload as object));
    throw new WebhookError('decryption_failed');
  }
  const opened: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(payload as Record<string, unknown>)) {
    if (name !== 'encryptedPayload') {
      opened[name] = value;
      continue;
    }
    const inner: Record<string, unknown> = {};
    for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      if (!CRYPTO_FIELDS.has(field)) inner[field] = field === 'encryptedData' ? decrypted : fieldValue;
    }
    opened[name] = inner;
  }
  return opened;
}

/** What a notification is encrypted to: a public key (or the private key whose public key it is), or a certificate. */
export interface MastercardEncryptionKey {
  readonly publicKey?: string | Buffer | KeyObject;
  readonly certificate?: string | Buffer | X509Certificate;
  /** The fingerprint MDES names the key by: of the certificate (default when one is given) or of the public key. */
  readonly fingerprintType?: 'certificate' | 'publicKey';
  /** The OAEP digest. Default `SHA-256`. */
  readonly oaepHashingAlgorithm?: 'SHA-256' | 'SHA-512';
}

/**
 * `encryptedPayload.encryptedData` (an object) encrypted as MDES sends it, the fields in the order
 * mastercard-client-encryption writes them: a fresh AES-128 key and IV, AES-CBC, the key wrapped with RSA-OAEP, hex.
 */
export function encryptNotification(notification: Record<string, unknown>, to: MastercardEncryptionKey): Record<string, unknown> {
  const certificate = to.certificate === undefined ? undefined : to.certificate instanceof X509Certificate ? to.certificate : new X509Certificate(to.certificate);
  const publicKey = certificate?.publicKey ?? createPublicKey(to.publicKey as string | Buffer | KeyObject);
  const [spki, ofCertificate] = keyFingerprints(publicKey, certificate);
  const fingerprint = to.fingerprintType === 'publicKey' || !ofCertificate ? spki! : ofCertificate;
  const digest = to.oaepHashingAlgorithm ?? 'SHA-256';
  const sealed = notification.encryptedPayload as Record<string, unknown>;
  const secret = createHash('sha256').update(randomBytes(16)).digest().subarray(0, 16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', secret, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(sealed.encryptedData), 'utf8'), cipher.final()]);
  const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: digest.replace('-', '').toLowerCase() }, secret);
  return {
    ...notification,
    encryptedPayload: {
      ...sealed,
      encryptedData: data.toString('hex'),
      iv: iv.toString('hex'),
      encryptedKey: encryptedKey.toString('hex'),
      publicKeyFingerprint: fingerprint,
      oaepHashingAlgorithm: digest.replace('-', ''),
    },
  };
}
