/**
 * A demo receiver: every built-in provider under /webhooks/<provider>, handlers that print each event, and the
 * operations console under /ops/token-webhooks/ (user `ops`, the password printed at start, or CONSOLE_PASSWORD).
 * Run with `npm start`; PORT (default 3000; 0 for any free port) and STORAGE choose where it listens and stores.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { builtinProviders, createTokenWebhooks, niTokenEndpoint } from '../lib';
import { shellWord } from '../lib/cli/shell-quote';
import { credentialsOf } from '../lib/cli/credentials';
import { PROVIDERS, cliOf, flagWord } from '../lib/cli/providers';
import { optionsFor } from '../lib/testing/credentials';
import { storageFromEnv } from './storage-from-env';

const port = Number(process.env.PORT ?? 3000);
const NI_CLIENT = { clientId: 'ni-demo', clientSecret: process.env.NI_CLIENT_SECRET ?? 'demo-ni-client-secret-change-me' };
const CONSOLE_PATH = '/ops/token-webhooks';
const CONSOLE_USER = 'ops';
const CONSOLE_PASSWORD = process.env.CONSOLE_PASSWORD ?? randomBytes(15).toString('base64url');

/**
 * Demo secrets, as the CLI flags that send with them: each provider's test kit's example, its `--key` replaced by
 * <PROVIDER>_KEY and its `--bearer` by WEBHOOK_BEARER when set. Replace them with your own.
 */
const demoFlags = (provider: keyof typeof builtinProviders): Record<string, string> => {
  const flags = { ...cliOf(provider).example.flags };
  const key = process.env[`${provider.toUpperCase()}_KEY`];
  if (key !== undefined && flags.key !== undefined) flags.key = key;
  if (process.env.WEBHOOK_BEARER !== undefined && flags.bearer !== undefined) flags.bearer = process.env.WEBHOOK_BEARER;
  return flags;
};

const { storage, description } = storageFromEnv();
const webhooks = createTokenWebhooks({ storage });

const show = (label: string) => (event: { provider: string; id: string; tokenRef: string; state?: string; stale: boolean; repeated: boolean }) => {
  const flags = `${event.stale ? ' (stale)' : ''}${event.repeated ? ' (repeated)' : ''}`;
  console.log(`${label.padEnd(10)} ${event.provider.padEnd(11)} token=${event.tokenRef} state=${event.state ?? '-'} event=${event.id}${flags}`);
};
webhooks
  .onActive(show('ACTIVE'))
  .onSuspended(show('SUSPENDED'))
  .onDeleted(show('DELETED'))
  .onUpdated(show('UPDATED'))
  .onEvent((event) => console.log(`event      ${event.provider.padEnd(11)} ${event.type}`))
  .onError((error, context) => console.error(`error      ${context.provider} ${context.eventId ?? ''}: ${(error as Error).message}`));

const niTokens = niTokenEndpoint(NI_CLIENT);
const app = express();
app.post('/oauth/ni/token', niTokens);
for (const provider of PROVIDERS) {
  // NI is mounted with its token endpoint above, as NI calls: it obtains an access token first.
  const options = provider === 'ni' ? { auth: { oauth: niTokens } } : optionsFor(provider, credentialsOf(provider, demoFlags(provider)));
  app.use(`/webhooks/${provider}`, webhooks.endpoint(provider, options as never));
}
app.use(CONSOLE_PATH, webhooks.console({ credentials: { username: CONSOLE_USER, password: CONSOLE_PASSWORD } }));
const isProvider = (name: string): name is keyof typeof builtinProviders => Object.hasOwn(builtinProviders, name);
app.get('/tokens/:provider/:tokenRef', async (req, res) => {
  const { provider, tokenRef } = req.params;
  if (!isProvider(provider)) {
    res.status(404).json({ error: 'unknown provider' });
    return;
  }
  res.json((await webhooks.getTokenState(provider, tokenRef)) ?? { state: null });
});
app.get('/health', async (_req, res) => {
  const health = await webhooks.health();
  res.status(health.ok ? 200 : 503).json(health);
});

// Checks the mounts and the handlers, and connects the storage, before taking traffic.
void webhooks.ready({ app }).then(() => {
  const server = app.listen(port, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const q = shellWord; // the secrets may come from the environment: printed so that a shell reads them back unchanged
    const flagsOf = (provider: keyof typeof builtinProviders) => (provider === 'ni'
      ? `--ni-client ${q(`${NI_CLIENT.clientId}:${NI_CLIENT.clientSecret}`)} --token-url ${url}/oauth/ni/token`
      : Object.entries(demoFlags(provider)).map(([name, value]) => `${flagWord(name)} ${q(value)}`).join(' '));
    console.log(`network-token-webhooks demo on ${url} with ${description}`);
    console.log(`\nOperations console: ${url}${CONSOLE_PATH}/ (sign in as ${CONSOLE_USER} / ${CONSOLE_PASSWORD}${process.env.CONSOLE_PASSWORD ? '' : '; set CONSOLE_PASSWORD to choose it'})`);
    console.log('\nSend it notifications, from another terminal (add --repeat 100 --duplicate-rate 0.3 --concurrency 8 for a burst):');
    for (const provider of PROVIDERS) {
      console.log(`  npm run cli -- send ${provider} ${cliOf(provider).example.kind} --url ${url}/webhooks/${provider} ${flagsOf(provider)}`);
    }
    console.log(`\nNI's token request by hand:\n  curl -s ${url}/oauth/ni/token -d grant_type=client_credentials --data-urlencode client_id=${q(NI_CLIENT.clientId)} --data-urlencode client_secret=${q(NI_CLIENT.clientSecret)}`);
    console.log('\nA body of your own, and the curl command that sends it signed (edit body.json in between if you like):');
    console.log('  npm run --silent cli -- payload tokenex deleted > body.json');
    console.log(`  npm run --silent cli -- sign tokenex --file body.json ${flagsOf('tokenex')} --curl ${url}/webhooks/tokenex`);
    console.log(`\nThen ask for a token's state:\n  curl -s ${url}/tokens/tokenex/b2b92b5b-403d-4bd8-a756-6e415b86b291\n`);
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    void webhooks.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // `npm start` runs this under a shell that does not pass signals on: when npm is stopped, this process is
  // handed to another parent, and stops too.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) shutdown(); }, 250).unref();
});
