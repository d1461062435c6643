import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { BEARER } from '../helpers/app';
import { fixture } from '../helpers/fixtures';

/** A gate a test opens by hand: handlers and storage calls await it, so no test waits on time. */
export class Latch {
  readonly promise: Promise<void>;
  private resolve!: () => void;
  opened = false;
  constructor() {
    this.promise = new Promise((resolve) => { this.resolve = resolve; });
  }
  open(): void {
    this.opened = true;
    this.resolve();
  }
}

/** Let pending I/O callbacks and promise jobs run (not a timing assumption: a correct program passes with any count). */
export async function turns(count = 20): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Call close() while work waits at `gate`: close() must not resolve before the gate opens and the work ends. */
export async function closeWhileHeld(webhooks: { close(): Promise<void> }, gate: Latch, what: string): Promise<void> {
  let closed = false;
  const closing = webhooks.close().then(() => { closed = true; });
  await turns(20);
  assert.equal(closed, false, `close() resolved while ${what}`);
  gate.open();
  await closing;
}

/** Poll `check` until it holds, at most `limitMs`; fails the test otherwise. For conditions outside the test's control (lease expiry, a child process). */
export async function eventually(check: () => boolean | Promise<boolean>, limitMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A TokenEx notification with its own message id, token and time. */
export function tokenexBody(options: { id: string; tokenRef?: string; state?: string; previous?: string; at?: number }): string {
  const payload = JSON.parse(fixture('tokenex', 'request').text) as { networkTokenStateChangeNotification: Record<string, string> };
  const n = payload.networkTokenStateChangeNotification;
  n.messageId = options.id;
  if (options.tokenRef) n.tokenReferenceId = options.tokenRef;
  if (options.state) n.currentTokenState = options.state;
  if (options.previous) n.previousTokenState = options.previous;
  if (options.at !== undefined) n.tokenTimestamp = String(options.at);
  return JSON.stringify(payload);
}

/** Listen on a loopback port, so many requests can be in flight on one server. */
export async function listen(app: Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function post(server: Server | Express, provider: string, body: string) {
  return request(server)
    .post(`/webhooks/${provider}`)
    .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` })
    .send(body);
}

type AnyFn = (...args: unknown[]) => unknown;

export interface StorageHooks {
  /** Awaited before the call reaches the storage; throw to make the call fail. */
  before?(method: string, args: unknown[]): void | Promise<void>;
  /** After the call resolved. */
  after?(method: string, args: unknown[], result: unknown): void;
}

/** `storage` with every method call passing through `hooks` (calls become async). */
export function instrumented<S extends object>(storage: S, hooks: StorageHooks): S {
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return async (...args: unknown[]) => {
        await hooks.before?.(property, args);
        const result = await (value as AnyFn).apply(target, args);
        hooks.after?.(property, args, result);
        return result;
      };
    },
  });
}
