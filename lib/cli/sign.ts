import { resolve } from 'node:path';
import type { TestCredentials } from '../testing/credentials';
import { authHeaders } from '../testing/credentials';
import type { BuiltinName } from '../testing/payloads';
import { shellQuote } from './shell-quote';

const headersOf = (provider: BuiltinName, body: Buffer, credentials: TestCredentials) =>
  Object.entries({ 'content-type': 'application/json', ...authHeaders(provider, body, credentials) }).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);

/** `-H '<name>: <value>'` per header that authenticates `body`, a line each, quoted for a shell. */
export function signedHeaders(provider: BuiltinName, body: Buffer, credentials: TestCredentials): string {
  return headersOf(provider, body, credentials).map((line) => `${line}\n`).join('');
}

/**
 * One curl command that posts the file's exact bytes (`--data-binary`, by its absolute path: `-d` would strip
 * its newlines) with the headers that authenticate them, every word quoted: it runs as printed, pasted or not.
 */
export function curlCommand(provider: BuiltinName, body: Buffer, credentials: TestCredentials, url: string, file: string): string {
  return `curl -sS -i ${headersOf(provider, body, credentials).join(' ')} --data-binary ${shellQuote(`@${resolve(file)}`)} ${shellQuote(url)}\n`;
}
