import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';

// The names the package exports, entry point by entry point: its runtime values and, for TypeScript, its types.
// A name added here is added to the public API (and to the API reference); a name that appears without being
// added here is an internal one leaking, and fails.

const ROOT = join(__dirname, '..', '..');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string }> };

/** Each entry point with types (`.`, `./sqlite`, …) and its source, `./dist/lib/x.d.ts` read as `lib/x.ts`. */
const ENTRY_POINTS = Object.entries(MANIFEST.exports).flatMap(([subpath, target]) => typeof target === 'string' ? [] : [{
  subpath, source: join(ROOT, target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts')),
}]);

/** What `require()` of each entry point holds. */
const RUNTIME: Record<string, readonly string[]> = {
  '.': [
    'ConfigurationError', 'DELIVERY_ERRORS', 'MemoryStorage', 'ReportedError', 'StorageError', 'TOKEN_STATES', 'WebhookError', 'builtinProviders',
    'createTokenWebhooks', 'decideProjection', 'defineProvider', 'isCardNumber', 'isNtwError', 'jsonAcknowledgement', 'niTokenEndpoint',
    'oauthTokenEndpoint', 'redactText', 'sharedSecretAuthenticator', 'stateEventType',
  ],
  './fastify': ['default', 'tokenWebhooks'],
  './sqlite': ['SQLITE_TIMEOUT_MS', 'SqliteStorage'],
  './postgres': ['POSTGRES_TIMEOUT_MS', 'PostgresStorage'],
  './redis': ['REDIS_TIMEOUT_MS', 'RedisStorage'],
  './testing': [
    'authHeaders', 'buildPayload', 'cybersourceSignature', 'deliver', 'firstokenSignature', 'niAccessToken', 'readJsonAcknowledgement', 'receive',
    'sharedSecretHeaders', 'signDelivery',
  ],
  './testing/storage': ['runStorageConformance'],
  './storage-kit': [
    'Coalescer', 'ENTRY_COLUMNS', 'ENTRY_STATUSES', 'HISTORY_COLUMNS', 'HISTORY_MAX', 'LEDGER_COLUMNS', 'OPEN_STATUSES_SQL', 'REFUSALS_KEPT_MS', 'STATE_COLUMNS',
    'REQUEUEABLE_STATUSES', 'STATS_BUCKET_MS', 'TIME_COLUMNS', 'admissionOf', 'admitConformance', 'admittedEntry', 'appendBounded', 'changeOf', 'checkOptionNames',
    'closeWithin', 'cursorOf', 'decideProjection', 'entryFromRow', 'extendConformance', 'historyConformance', 'historyFromJson', 'idsConformance',
    'isDue', 'latestVersion', 'leaseConformance', 'listingConformance', 'maySettle', 'mergeRefusals', 'minuteOf', 'pendingSteps',
    'persistenceConformance', 'probeConformance', 'project', 'publicEntry', 'refusalsConformance', 'requeueConformance', 'requeuedAttempt',
    'retentionConformance', 'runStorageConformance', 'schemaBehind', 'schemaNewer', 'searchConformance', 'settleConformance', 'settledAttempt',
    'settledEntry', 'stateFromRow', 'statsConformance', 'statsWindow', 'takenEntry', 'timeoutMsOption', 'tokenStateConformance',
  ],
};

/**
 * The types each entry point adds to its runtime values. The root's leave out the built-in providers' own types
 * (`CybersourcePayload`, …), which each provider's registry entry names (below): adding a provider leaves this list alone.
 */
const TYPES: Record<string, readonly string[]> = {
  '.': [
    'Acknowledgement', 'AcknowledgementReading', 'ActiveEvent', 'ActiveEventOf', 'Admission', 'Admit', 'Attempt', 'AttemptOutcome', 'AuthOption',
    'AuthenticateFn', 'Authenticator', 'Awaitable', 'BasicCredentials', 'BodyStream', 'BuiltinProviderName', 'BuiltinProviders', 'BuiltinTokenEvent',
    'CliFlag', 'CliFlags', 'CliTakes', 'ClientCertificate', 'ConsoleAccessOptions', 'ConsoleAuthorize', 'ConsoleMiddleware', 'ConsoleOptions',
    'ConsoleSettingsOptions', 'DeletedEvent', 'DeletedEventOf', 'DeliveryErrorCode', 'DeliveryInput', 'DeliveryMode', 'DeliveryOutcome',
    'DeliveryRequest', 'DeliveryResponse', 'EncryptionKey', 'Entry', 'EntryCopy', 'EntryCursor', 'EntryHistory', 'EntryQuery', 'EntryRecord',
    'EntryStatus', 'ErrorContext', 'ErrorHandler', 'EventHandler', 'EventKey', 'EventOutcome', 'EventQuery', 'FetchClient', 'FetchHandler',
    'HandlerContext', 'HandlerErrorContext', 'HealthReport', 'InactiveEvent', 'InboxOptions', 'InboxTokenWebhooks', 'JsonSchema', 'KitCredentials',
    'LedgerStats', 'LogFields', 'LogMethod', 'LogRecord', 'Logger', 'MemoryStorageOptions', 'Mounters', 'NormalizeContext', 'NormalizedFields', 'NotificationEvent', 'NtwError', 'OAuthClient',
    'OAuthClientCredentialsOptions', 'OAuthTokenEndpoint', 'OAuthTokenVerifier', 'OptionNames', 'OptionsArgument', 'OptionsOf', 'OwnedSettlement', 'PayloadKind',
    'PayloadOverrides', 'ProjectionDecision', 'ProjectionOutcome', 'Provider', 'ProviderCli', 'ProviderOptions', 'ProviderTestKit', 'PruneResult',
    'RawOf', 'ReadyOptions', 'ReceivedCount', 'Receiver', 'ReceiverErrorContext', 'ReferenceKey', 'Refusal', 'RefusalHandler', 'RefusalMinute',
    'RenewalSchedule', 'ReplayManyQuery', 'ReplayManyStatus', 'RequestHeaders', 'RequeueableStatus', 'RunsReport', 'SchemaIssue', 'SecretOf', 'Settlement', 'SharedCredentials', 'SharedSecretAuth',
    'SharedSecretExtras', 'SignedDelivery', 'StaleReason', 'StateChange', 'StatsQuery', 'StatusCount', 'Storage', 'StoredEvent', 'SuspendedEvent',
    'SuspendedEventOf', 'TelemetryOptions', 'ThrottleCount', 'ThrottleOptions', 'ThrottleStore', 'TokenActivationCodeEvent', 'TokenChange',
    'TokenEvent', 'TokenEventType', 'TokenState', 'TokenStateCount', 'TokenStateEvent', 'TokenStateRecord', 'TokenStateView', 'TokenUpdatedEvent',
    'TokenWebhooks', 'TokenWebhooksOptions', 'UpdateEvent', 'UpdateEventOf', 'Verified', 'WebhookMiddleware', 'Writable',
  ],
  './fastify': ['TokenWebhooksPluginOptions', 'TokenWebhooksPluginOptionsOf'],
  './sqlite': ['SqliteStorageOptions'],
  './postgres': ['PostgresNames', 'PostgresStorageOptions'],
  './redis': ['RedisStorageOptions'],
  './testing': [
    'AcknowledgementReading', 'Answer', 'BuiltPayloads', 'BuiltinName', 'CredentialsFor', 'DeliverOptions', 'PayloadKind', 'PayloadOverrides',
    'ProviderRef', 'SignedDelivery', 'Target', 'TestCredentials', 'Writable',
  ],
  './testing/storage': ['ConformanceOptions'],
  './storage-kit': [
    'Admission', 'AdmissionDecision', 'Admit', 'Attempt', 'AttemptJson', 'AttemptOutcome', 'Awaitable', 'CoalesceOptions', 'ConformanceGroup', 'ConformanceOptions',
    'CopyJson', 'Entry', 'EntryCopy', 'EntryCursor', 'EntryHistory', 'EntryQuery', 'EntryRecord', 'EntryRow', 'EntryStatus', 'EventKey', 'Held',
    'LedgerStats', 'MigrationStep', 'OptionNames', 'OwnedSettlement', 'ProjectionDecision', 'ProjectionOutcome', 'PruneResult', 'ReceivedCount', 'RefusalMinute', 'RequeueableStatus',
    'Settlement', 'StateChange', 'StateRow', 'StatsQuery', 'StatusCount', 'Storage', 'StorageFactory', 'TestFunctions', 'TokenStateCount',
    'TokenStateRecord',
  ],
};

/** Names once public, kept for one release so that code written for the previous one compiles: each is marked `@deprecated`. */
const DEPRECATED: Record<string, readonly string[]> = {
  '.': ['ActiveEventOf', 'DeletedEventOf', 'SuspendedEventOf', 'UpdateEventOf'],
  './testing/storage': ['runStorageConformance'],
};

const BUILTIN = join(ROOT, 'lib', 'providers', 'builtin.ts');
const REGISTRY_NAMES = ['BuiltinProviderName', 'BuiltinProviders', 'builtinProviders'];

let program: ts.Program;
let checker: ts.TypeChecker;

function sourceOf(file: string): ts.SourceFile {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not in the program`);
  return source;
}

/** The symbols a module exports, as TypeScript sees them (values and types). */
function exportsOf(file: string): ts.Symbol[] {
  const symbol = checker.getSymbolAtLocation(sourceOf(file));
  return symbol ? checker.getExportsOfModule(symbol) : [];
}

/** Where an exported name is declared, followed through its re-exports: `lib/events.ts`. */
function declaredIn(symbol: ts.Symbol): string[] {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return (target.declarations ?? []).map((d) => relative(ROOT, d.getSourceFile().fileName));
}

/** Names that `builtin.ts` re-exports for its providers: each provider module's public types, by name. */
let providerTypes: string[];

const sorted = (names: Iterable<string>) => [...names].sort();

describe('the public surface', () => {
  before(function () {
    this.timeout(60_000); // type-checking lib/ once
    program = ts.createProgram([...ENTRY_POINTS.map((e) => e.source), BUILTIN], {
      strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler,
      esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true, noEmit: true, types: ['node'],
    });
    checker = program.getTypeChecker();
    providerTypes = exportsOf(BUILTIN).map((s) => s.name).filter((name) => !REGISTRY_NAMES.includes(name));
  });

  it('has the entry points package.json declares, each pinned here', () => {
    expect(sorted(ENTRY_POINTS.map((e) => e.subpath))).to.deep.equal(sorted(Object.keys(RUNTIME)));
    expect(sorted(Object.keys(TYPES))).to.deep.equal(sorted(Object.keys(RUNTIME)));
  });

  for (const { subpath, source } of ENTRY_POINTS) {
    it(`${subpath}: its runtime exports are exactly the public ones`, () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- what a CommonJS user gets
      const loaded = require(source) as Record<string, unknown>;
      expect(sorted(Object.keys(loaded))).to.deep.equal(sorted(RUNTIME[subpath] ?? []));
    });

    it(`${subpath}: its types are exactly the public ones`, () => {
      const names = exportsOf(source).map((s) => s.name).filter((name) => subpath !== '.' || !providerTypes.includes(name));
      expect(sorted(names)).to.deep.equal(sorted([...(RUNTIME[subpath] ?? []), ...(TYPES[subpath] ?? [])]));
    });

    it(`${subpath}: names every export (no \`export *\`)`, () => {
      const wildcards = sourceOf(source).statements.filter((s): s is ts.ExportDeclaration => ts.isExportDeclaration(s) && !s.exportClause)
        .map((s) => s.getText());
      // The root takes the registry's types from builtin.ts, which names each one (checked below).
      expect(wildcards).to.deep.equal(subpath === '.' ? ["export type * from './providers/builtin';"] : []);
    });
  }

  it('the registry (providers/builtin.ts) names each provider\'s public types, declared in that provider\'s files', () => {
    const statements = sourceOf(BUILTIN).statements.filter(ts.isExportDeclaration);
    for (const statement of statements) {
      expect(statement.isTypeOnly && statement.exportClause !== undefined, statement.getText()).to.equal(true);
    }
    expect(providerTypes.length).to.be.greaterThan(0);
    for (const symbol of exportsOf(BUILTIN).filter((s) => providerTypes.includes(s.name))) {
      expect(declaredIn(symbol), symbol.name).to.satisfy((files: string[]) => files.length > 0 && files.every((f) => f.startsWith('lib/providers/')));
    }
  });

  it('the root exports the types of the Storage contract that the storage kit exports, no fewer', () => {
    const STORAGE = join(ROOT, 'lib', 'storage', 'storage.ts');
    const contractTypes = (source: string) => exportsOf(source).filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return !(target.flags & ts.SymbolFlags.Value) && declaredIn(symbol).includes(relative(ROOT, STORAGE));
    }).map((s) => s.name);
    const kit = ENTRY_POINTS.find((e) => e.subpath === './storage-kit')!;
    expect(sorted(contractTypes(join(ROOT, 'lib', 'index.ts')))).to.deep.equal(sorted(contractTypes(kit.source)));
  });

  it('marks each deprecated name @deprecated, and only those', () => {
    for (const { subpath, source } of ENTRY_POINTS) {
      const deprecated = exportsOf(source).filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return target.getJsDocTags(checker).some((tag) => tag.name === 'deprecated');
      }).map((s) => s.name);
      expect(sorted(deprecated), subpath).to.deep.equal(sorted(DEPRECATED[subpath] ?? []));
    }
  });
});
