import type { TestCredentials } from '../testing/credentials';
import type { BuiltinName } from '../testing/payloads';

/** The credential flags of `send` (`sign` takes no NI client: it signs offline). */
export interface CredentialFlags {
  readonly key?: string;
  readonly keyId?: string;
  readonly bearer?: string;
  readonly niClient?: readonly [string, string];
  readonly tokenUrl?: string;
}

type Flag = keyof CredentialFlags;
const FLAGS: Readonly<Record<Flag, string>> = { keyId: '--key-id', key: '--key', bearer: '--bearer', niClient: '--ni-client', tokenUrl: '--token-url' };

/** The flags each provider takes, and what they are to its receiver. */
const TAKES: Readonly<Record<BuiltinName, { readonly flags: readonly Flag[]; readonly what: string }>> = {
  cybersource: { flags: ['keyId', 'key'], what: '--key-id <id> --key <base64 key>, a key of cybersource({ keys })' },
  tokenex: { flags: ['bearer'], what: '--bearer <secret>, one of tokenex({ auth: { bearer } })' },
  ni: {
    flags: ['niClient', 'tokenUrl', 'bearer'],
    what: '--ni-client <id>:<secret> --token-url <url> (a client of niTokenEndpoint()), or --bearer <secret> (one of ni({ auth: { bearer } }))',
  },
  firstoken: { flags: ['key', 'bearer'], what: '--key <Webhook Key> (firstoken({ auth: { signingKeys } })) or --bearer <secret> (one of firstoken({ auth: { bearer } }))' },
};
/** `sign ni` signs nothing: it needs the bearer NI would send. */
const SIGN_NI = { flags: ['bearer'], what: '--bearer <token>: an access token from niTokenEndpoint(), or one of ni({ auth: { bearer } })' } as const;

const takes = (provider: BuiltinName, command: 'send' | 'sign') => (command === 'sign' && provider === 'ni' ? SIGN_NI : TAKES[provider]);
const given = (flags: CredentialFlags) => (Object.keys(FLAGS) as Flag[]).filter((flag) => flags[flag] !== undefined);

/**
 * Refuses, before anything is sent, credentials that cannot authenticate to `provider`: a flag it does not take,
 * half of a pair, or (`sign`, which has nothing else to print) none at all. The messages name flags, never values.
 */
export function checkCredentialFlags(provider: BuiltinName, flags: CredentialFlags, command: 'send' | 'sign'): void {
  const { flags: taken, what } = takes(provider, command);
  for (const flag of given(flags)) {
    if (!taken.includes(flag)) throw new Error(`${provider} takes no ${FLAGS[flag]}: it takes ${what}`);
  }
  if (provider === 'cybersource') {
    if (flags.key !== undefined && flags.keyId === undefined) {
      throw new Error('cybersource signs with a key id and its key: --key needs --key-id <id>, the id the key has in cybersource({ keys })');
    }
    if (flags.keyId !== undefined && flags.key === undefined) throw new Error('cybersource signs with a key id and its key: --key-id needs --key <base64 key>');
  }
  if (flags.niClient && flags.tokenUrl === undefined) throw new Error('--ni-client needs --token-url <url>, the token endpoint to obtain an access token from');
  if (flags.tokenUrl !== undefined && !flags.niClient) throw new Error('--token-url needs --ni-client <id>:<secret>, the client to obtain an access token as');
  if (command === 'sign' && given(flags).length === 0) throw new Error(`sign ${provider} needs ${what}`);
}

/** What the flags sign or authenticate with (an NI client's access token is obtained by `send`). */
export function credentialsOf(provider: BuiltinName, flags: CredentialFlags): TestCredentials {
  return {
    ...(provider === 'cybersource' && flags.key !== undefined && flags.keyId !== undefined ? { cybersource: { keyId: flags.keyId, key: flags.key } } : {}),
    ...(provider === 'firstoken' && flags.key !== undefined ? { firstoken: flags.key } : {}),
    ...(flags.bearer !== undefined ? { bearer: flags.bearer } : {}),
  };
}

/** After a 401: which credential flags were given (a key id, which is no secret, by its value) and what the provider takes. */
export function unauthorizedHint(provider: BuiltinName, flags: CredentialFlags): string {
  const named = given(flags).map((flag) => (flag === 'keyId' ? `--key-id ${flags.keyId}` : FLAGS[flag]));
  const sent = named.length === 0 ? 'no credentials were given' : `the receiver refused the credentials given (${named.join(' ')})`;
  return `401: ${sent}; ${provider} takes ${TAKES[provider].what}`;
}
