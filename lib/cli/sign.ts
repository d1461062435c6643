import { resolve } from 'node:path';
import type { TestCredentials } from '../testing/credentials';
import { signDelivery } from '../testing/credentials';
import type { BuiltinName } from '../testing/payloads';
import { shellQuote } from './shell-quote';

const headerArgs = (headers: Readonly<Record<string, string>>) =>
  Object.entries({ 'content-type': 'application/json', ...headers }).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);

/** `-H '<name>: <value>'` per header that authenticates `body`, a line each, quoted for a shell. */
export function signedHeaders(provider: BuiltinName, body: Buffer, credentials: TestCredentials): string {
  const signed = signDelivery(provider, body, credentials);
  if (signed.body !== undefined) throw new Error(`${provider} signs inside the body: use --curl <url>, which sends the signed body`);
  return headerArgs(signed.headers).map((line) => `${line}\n`).join('');
}

/**
 * One curl command that posts the file's exact bytes (`--data-binary`, by its absolute path: `-d` would strip
 * its newlines; the signed body itself, quoted, for a provider that signs inside it) with the headers that
 * authenticate them, every word quoted: it runs as printed, pasted or not.
 */
export function curlCommand(provider: BuiltinName, body: Buffer, credentials: TestCredentials, url: string, file: string): string {
  const signed = signDelivery(provider, body, credentials);
  const data = signed.body === undefined ? shellQuote(`@${resolve(file)}`) : shellQuote(signed.body);
  return `curl -sS -i ${headerArgs(signed.headers).join(' ')} --data-binary ${data} ${shellQuote(url)}\n`;
}
