import type { Authenticator, ClientCertificate } from '../auth/authenticator';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';

const log = logger('mastercard');
const REFUSED = { provider: 'mastercard', code: 'unauthorized' } as const;

/**
 * How MDES's calls are authenticated: mutual TLS. Mastercard presents a client certificate that identifies as
 * `ws.mastercard.com`, issued under a public CA (Entrust); your HTTPS server asks for it (`requestCert: true`) and
 * trusts its CA (`ca`), and the endpoint accepts only a connection whose certificate chained to that CA and names
 * one of `commonName`.
 */
export interface MastercardAuth {
  readonly clientCertificate: {
    /** The certificate's name: its subject's CN, or a DNS name of its subjectAltName. Several while Mastercard renews it. */
    readonly commonName: string | readonly string[];
  };
}

/** The names of `mastercard({ auth })`, for the start-up check of option names. */
export const MASTERCARD_AUTH_NAMES = { clientCertificate: { commonName: true } } as const satisfies NamesOf<MastercardAuth>;

const ERROR = 'ERR_NTW_MASTERCARD_CERTIFICATE';
const NAME = /^[A-Za-z0-9*.-]{1,253}$/;

const valuesOf = (field: string | readonly string[] | undefined): readonly string[] => (field === undefined ? [] : typeof field === 'string' ? [field] : field);

/** The names a certificate goes by: its subject's CNs and the DNS names of its subjectAltName, lower-cased. */
export function certificateNames(certificate: ClientCertificate): string[] {
  const cn = valuesOf(certificate.subject.CN);
  const dns = (certificate.subjectAltName ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
  return [...cn, ...dns].map((name) => name.toLowerCase());
}

export function mastercardCertificateAuthenticator(auth: MastercardAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "mastercard(): auth must be { clientCertificate: { commonName } } (or 'none')");
  const given = auth.clientCertificate?.commonName;
  const names = (typeof given === 'string' ? [given] : Array.isArray(given) ? given as readonly unknown[] : []).map((name) => {
    if (typeof name !== 'string' || !NAME.test(name) || name.includes('*')) {
      throw new ConfigurationError(ERROR, "mastercard(): auth.clientCertificate.commonName must be the host name Mastercard's client certificate names (ws.mastercard.com), no wildcard");
    }
    return name.toLowerCase();
  });
  if (names.length === 0) throw new ConfigurationError(ERROR, "mastercard() needs auth: { clientCertificate: { commonName: 'ws.mastercard.com' } } (or auth: 'none' when mutual TLS ends before this server)");
  return {
    requiresRawBody: false,
    authenticate(req) {
      const certificate = req.clientCertificate;
      if (!certificate) {
        log.info(REFUSED, 'refused: no client certificate (plain HTTP, or a TLS server without requestCert)', loggerOf(req));
        return false;
      }
      if (!certificate.authorized) {
        log.info(REFUSED, 'refused: the client certificate does not chain to a CA the server trusts', loggerOf(req));
        return false;
      }
      if (!certificateNames(certificate).some((name) => names.includes(name))) {
        log.info(REFUSED, `refused: the client certificate names none of ${names.join(', ')}`, loggerOf(req));
        return false;
      }
      return true;
    },
  };
}
