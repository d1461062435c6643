#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildPayload } from '../testing/payloads';
import type { BuiltinName, PayloadKind } from '../testing/payloads';
import { PAYLOAD_KINDS, checkHttpUrl } from '../providers/test-kit';
import { PACKAGE_VERSION } from '../telemetry/version';
import type { CredentialFlags } from './credentials';
import { checkCredentialFlags, credentialsOf, unauthorizedHint } from './credentials';
import { PROVIDERS, cliOf, credentialFlags } from './providers';
import { readFileFlag } from './read-file-flag';
import { curlCommand, signedHeaders } from './sign';
import { send } from './send';
import { migrate } from './migrate';

const integer = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer of at least ${min}`);
  return n;
};
const share = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
};
/** A value check of ours as commander's argument parser: its message becomes commander's "is invalid." error. */
const parser = (check: (value: string) => string) => (value: string) => {
  try {
    return check(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const httpUrl = parser(checkHttpUrl);

/** The credential flags of `command`: every one some provider's test kit takes, described by each provider that takes it. */
function withCredentialFlags(command: Command, name: 'send' | 'sign'): Command {
  for (const flag of credentialFlags(name)) {
    const option = new Option(flag.spec, flag.about.join('; '));
    if (flag.check) option.argParser(parser(flag.check));
    if (flag.conflicts) option.conflicts(flag.conflicts);
    command.addOption(option);
  }
  return command;
}

const out = (text: string) => process.stdout.write(text);
const hint = (text: string) => process.stderr.write(`hint: ${text}\n`);

const program = new Command()
  .name('network-token-webhooks')
  .description('Send well-formed, authenticated network token notifications to a receiver, or build and sign a body for curl.')
  .version(PACKAGE_VERSION);

withCredentialFlags(program.command('send'), 'send')
  .description('send notifications of one kind and print each answer and a summary')
  .addArgument(program.createArgument('<provider>', 'provider').choices(PROVIDERS))
  .addArgument(program.createArgument('<event>', 'what happened').choices(PAYLOAD_KINDS))
  .requiredOption('--url <url>', 'the endpoint, e.g. http://127.0.0.1:3000/webhooks/tokenex', httpUrl)
  .option('--repeat <n>', 'how many to send', integer(1), 1)
  .option('--duplicate-rate <r>', 'the share that re-sends an earlier one, as a provider retry does', share, 0)
  .option('--concurrency <c>', 'how many at once', integer(1), 1)
  .option('--file <payload.json>', 'send this body instead of a built one')
  .option('--quiet', 'print the summary only')
  .action(async (provider: BuiltinName, kind: PayloadKind, flags: CredentialFlags & {
    url: string; repeat: number; duplicateRate: number; concurrency: number; file?: string; quiet?: boolean;
  }) => {
    checkCredentialFlags(provider, flags, 'send');
    const { prepare } = cliOf(provider);
    const summary = await send(provider, kind, {
      url: flags.url, credentials: credentialsOf(provider, flags), repeat: flags.repeat, duplicateRate: flags.duplicateRate,
      concurrency: flags.concurrency, ...(flags.file ? { file: flags.file } : {}), ...(prepare ? { prepare: () => prepare(flags) } : {}),
      ...(flags.quiet ? { quiet: true } : {}),
    }, (line) => out(`${line}\n`));
    const statuses = Object.entries(summary.byStatus).map(([status, count]) => `${status}: ${count}`).join(', ');
    out(`sent ${summary.sent}; ${statuses}; p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms\n`);
    if (summary.byStatus['401']) hint(unauthorizedHint(provider, flags));
    if (summary.byStatus['404']) hint(`404 from ${flags.url}: is the endpoint mounted at this path?`);
    if (!Object.keys(summary.byStatus).every((status) => status.startsWith('2'))) process.exitCode = 1;
  });

withCredentialFlags(program.command('sign'), 'sign')
  .description('print the headers that authenticate a body, for curl; or (--curl) the whole curl command that sends it')
  .addArgument(program.createArgument('<provider>', 'provider').choices(PROVIDERS))
  .requiredOption('--file <payload.json>', 'the exact body to send')
  .option('--curl <url>', 'print one curl command that posts the body to <url>, quoted to paste as it is', httpUrl)
  .action((provider: BuiltinName, flags: CredentialFlags & { file: string; curl?: string }) => {
    checkCredentialFlags(provider, flags, 'sign');
    const body = readFileFlag(flags.file);
    const credentials = credentialsOf(provider, flags);
    out(flags.curl === undefined ? signedHeaders(provider, body, credentials) : curlCommand(provider, body, credentials, flags.curl, flags.file));
  });

program.command('payload')
  .description('print a notification as the provider sends it, to edit, sign or send: payload tokenex active > body.json')
  .addArgument(program.createArgument('<provider>', 'provider').choices(PROVIDERS))
  .addArgument(program.createArgument('<event>', 'what happened').choices(PAYLOAD_KINDS))
  .action((provider: BuiltinName, kind: PayloadKind) => {
    out(`${JSON.stringify(buildPayload(provider, kind), null, 2)}\n`);
  });

program.command('migrate')
  .description('bring a storage to this release\'s schema (its numbered steps not yet applied), or print the SQL that does')
  .addArgument(program.createArgument('<store>', 'the storage').choices(['postgres', 'sqlite', 'redis']))
  .option('--print', 'PostgreSQL: print the SQL instead (run it with psql -v ON_ERROR_STOP=1 as a role that may change the schema)')
  .option('--schema <name>', 'PostgreSQL: the schema of the tables', 'public')
  .option('--url <url>', 'PostgreSQL or Redis: where (default: DATABASE_URL or REDIS_URL)')
  .option('--path <file>', 'SQLite: the database file')
  .option('--key-prefix <prefix>', 'Redis: the prefix of every key', 'ntw:')
  .action(async (store: 'postgres' | 'sqlite' | 'redis', flags: { print?: boolean; schema: string; url?: string; path?: string; keyPrefix: string }) => {
    out(await migrate(store, flags));
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
