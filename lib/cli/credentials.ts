import type { CliFlags } from '../providers/test-kit';
import type { TestCredentials } from '../testing/credentials';
import type { BuiltinName } from '../testing/payloads';
import { CREDENTIAL_FLAGS, cliOf, flagWord, shownFlag, takes } from './providers';

/** The credential flags given to `send` or `sign`, by name (`keyId` for `--key-id`). */
export type CredentialFlags = CliFlags;

const given = (flags: CredentialFlags) => CREDENTIAL_FLAGS.filter((flag) => flags[flag] !== undefined);

/**
 * Refuses, before anything is sent, credentials that cannot authenticate to `provider`: a flag it does not take,
 * half of a pair, or (`sign`, which has nothing else to print) none at all. The messages name flags, never values.
 */
export function checkCredentialFlags(provider: BuiltinName, flags: CredentialFlags, command: 'send' | 'sign'): void {
  const { flags: taken, what } = takes(provider, command);
  for (const flag of given(flags)) {
    if (!taken.includes(flag)) throw new Error(`${provider} takes no ${flagWord(flag)}: it takes ${what}`);
  }
  cliOf(provider).check?.(flags);
  if (command === 'sign' && given(flags).length === 0) throw new Error(`sign ${provider} needs ${what}`);
}

/** What the flags sign or authenticate with (credentials the provider's kit obtains first, such as NI's access token, come from `prepare`). */
export function credentialsOf(provider: BuiltinName, flags: CredentialFlags): TestCredentials {
  const { secret, bearer, basic } = cliOf(provider).credentials(flags);
  return { ...(secret !== undefined ? { [provider]: secret } : {}), ...(bearer !== undefined ? { bearer } : {}), ...(basic ? { basic } : {}) };
}

/** After a 401: which credential flags were given (a value that is no secret, such as a key id, by its value) and what the provider takes. */
export function unauthorizedHint(provider: BuiltinName, flags: CredentialFlags): string {
  const named = given(flags).map((flag) => (shownFlag(flag) ? `${flagWord(flag)} ${flags[flag]}` : flagWord(flag)));
  const sent = named.length === 0 ? 'no credentials were given' : `the receiver refused the credentials given (${named.join(' ')})`;
  return `401: ${sent}; ${provider} takes ${takes(provider, 'send').what}`;
}
