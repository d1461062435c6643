import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT, codeBlocks, docPages } from './helpers/markdown';

/**
 * What the examples of the README and docs/ use without defining: your app's own functions and values. Declared loosely, so
 * the check is about this package's API: its names, its parameters and the types it hands your code.
 */
const PRELUDE = `
import type { Express } from 'express';
import type { Pool } from 'pg';
import type Redis from 'ioredis';
import type { TokenWebhooks, Storage } from 'network-token-webhooks';
declare global {
  const express: typeof import('express');
  const createTokenWebhooks: typeof import('network-token-webhooks').createTokenWebhooks;
  const niTokenEndpoint: typeof import('network-token-webhooks').niTokenEndpoint;
  const PostgresStorage: typeof import('network-token-webhooks/postgres').PostgresStorage;
  const existingPool: Pool;
  const existingIoredisClient: Redis;
  const host: string;
  const port: number;
  const mySchema: import('network-token-webhooks').JsonSchema;
  const acmeSchema: import('network-token-webhooks').JsonSchema;
  interface AcmePayload { notification: string; vaultToken: string; at: string }
  const secret: string;
  class MyStorage implements Storage {
    constructor(options: object);
    admit: Storage['admit']; lease: Storage['lease']; extend: Storage['extend']; settle: Storage['settle']; requeue: Storage['requeue'];
    getEntry: Storage['getEntry']; listEntries: Storage['listEntries']; getTokenState: Storage['getTokenState']; prune: Storage['prune'];
  }
  const options: object;
  const webhooks: TokenWebhooks;
  const app: Express;
  const storage: Storage;
  const keyId: string;
  const base64Key: string;
  const keys: Record<string, string>;
  const tokenRef: string;
  const TEST_KEY_BASE64: string;
  const tokens: Record<string, (...args: any[]) => Promise<unknown>>;
  const billing: Record<string, (...args: any[]) => Promise<unknown>>;
  const alerts: Record<string, (...args: any[]) => unknown>;
  function makeApp(options?: object): Express;
  /** Your test runner's (mocha, jest, vitest): examples of tests import none. */
  function it(title: string, body: () => Promise<void> | void): void;
  function stopCharging(...args: unknown[]): unknown;
  function sendToCardholder(code: string): unknown;
  function refuse(): never;
  const requireSession: import('express').RequestHandler;
}
export {};
`;

/** The TypeScript examples of README.md and docs/*.md, each with the page and line it starts on. */
function examples(): { page: string; line: number; code: string }[] {
  return docPages().flatMap((page) => codeBlocks(page, 'ts').map((block) => ({ page, ...block })));
}

describe('the README and docs/', function () {
  this.timeout(120_000);

  it('its TypeScript examples compile against the package, in strict mode', async () => {
    const blocks = examples();
    expect(blocks.length).to.be.greaterThan(10);
    expect(new Set(blocks.map((b) => b.page))).to.include.members(['README.md', 'docs/storage.md', 'docs/providers.md']);
    const dir = mkdtempSync(join(ROOT, '.readme-check-'));
    try {
      writeFileSync(join(dir, 'prelude.ts'), PRELUDE);
      blocks.forEach((block, i) => writeFileSync(join(dir, `example-${i}.ts`), `${block.code}\nexport {};\n`));
      const lib = (path: string) => [join(ROOT, 'lib', path)];
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], module: 'preserve', moduleResolution: 'bundler',
          skipLibCheck: true, esModuleInterop: true, types: ['node'],
          paths: {
            'network-token-webhooks': lib('index.ts'),
            'network-token-webhooks/sqlite': lib('storage/sqlite.ts'),
            'network-token-webhooks/postgres': lib('storage/postgres.ts'),
            'network-token-webhooks/redis': lib('storage/redis.ts'),
            'network-token-webhooks/testing': lib('testing/index.ts'),
            'network-token-webhooks/testing/storage': lib('testing/storage-conformance.ts'),
            'network-token-webhooks/storage-kit': lib('storage/kit/index.ts'),
            'network-token-webhooks/fastify': lib('transport/fastify.ts'),
          },
        },
        include: ['*.ts'],
      }));
      const output = await new Promise<string>((done) => {
        execFile(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: ROOT },
          (_error, stdout, stderr) => done(`${stdout}${stderr}`));
      });
      // name the page and line of each error, not the temporary file's
      const errors = output.split('\n').filter((l) => /error TS/.test(l)).map((l) => l.replace(/^.*example-(\d+)\.ts\((\d+),(\d+)\)/,
        (_m, index: string, line: string) => { const block = blocks[Number(index)]!; return `${block.page}:${block.line + Number(line) - 1}`; }));
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
