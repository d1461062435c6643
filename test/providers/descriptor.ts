import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { RequestHandler } from 'express';
import type { Response } from 'supertest';
import type { BuiltinProviderName, TokenChange, TokenEventType, TokenState } from '../../lib';
import type { TestCredentials } from '../../lib/testing';

/** Every built-in provider: each has a descriptor at `test/providers/<name>/descriptor.ts`. */
export type ProviderName = BuiltinProviderName;

/** What each example payload must become. `kinds` are the handlers it fires besides onEvent. */
export interface Expected {
  readonly id: string;
  readonly type: TokenEventType;
  readonly state?: TokenState;
  readonly previousState?: TokenState;
  readonly tokenRef: string;
  readonly reason?: string;
  readonly reasonCode?: string;
  readonly changes?: readonly TokenChange[];
  readonly occurredAt?: string;
  readonly kinds: readonly ('active' | 'suspended' | 'deleted' | 'updated')[];
  readonly activationCode?: string;
}

/**
 * The secrets a test receiver is configured with (a shared `bearer`, and each provider's own under its name),
 * and the clock of signatures; each descriptor signs with the ones its provider uses.
 */
export type Credentials = TestCredentials;

/**
 * One provider, as the tests know it: its fixtures and what each must become, how to sign a delivery,
 * and how to read its answers. Adding a provider means one such file (with its fixtures) in a folder named
 * for it: the tests find it by the provider's name.
 */
export interface ProviderDescriptor {
  readonly name: ProviderName;
  /** Its document in shared/seeds, when there is one. */
  readonly seedFile?: string;
  /** Fixture folders whose payloads are the seed's examples. */
  readonly seedFolders: readonly string[];
  /** What every fixture must become. */
  readonly expected: Readonly<Record<string, Expected>>;
  /** A fixture for tests that need one ordinary delivery, and one that changes a token to SUSPENDED or DELETED. */
  readonly sample: string;
  /** Paths in `sample` where a value the provider never sends is refused (`schema_violation`). */
  readonly refusedValues: readonly (string | number)[][];
  /** Groups of paths in `sample` required in a way the schema's `required` lists do not show (alternative places): removing a group is refused. */
  readonly alsoRequired: readonly (string | number)[][][];
  /** Answers GET with 200 (Cybersource's health check). */
  readonly healthCheck: boolean;
  /** The header its credentials travel in. */
  readonly credentialHeader: string;
  /**
   * Its own secret in the test receivers (`Credentials[name]`), when it signs with one: they mount it with its
   * test kit's options for these credentials, unless a receiver of the tests mounts it otherwise.
   */
  readonly secret?: NonNullable<Credentials[ProviderName]>;
  /**
   * How the test receivers mount it when its test kit's options are not how it authenticates (Mastercard: mutual TLS,
   * which plain HTTP cannot present): its endpoint options, and a test transport in front of the endpoint that stands
   * for what the provider's connection carries (the client certificate its credential header names).
   */
  readonly testMount?: { readonly options: object; readonly transport: RequestHandler };
  /** Valid credentials over `body`, computed here, apart from the provider's test kit (which the tests check against it). */
  credentials(body: string | Buffer, credentials: Credentials): Record<string, string>;
  /** Headers of forged credentials over `body`, by what each one is, which its endpoint must refuse (401) besides the forgeries every provider is tried with. */
  forgeries?(body: string, credentials: Credentials): Readonly<Record<string, Record<string, string>>>;
  /** Endpoint options that must not start, with the `ConfigurationError` code each one gets. */
  readonly misconfigured?: readonly { readonly options: object; readonly code: string }[];
  /**
   * The event id its receiver records for `payload`, which its test kit built with the id `id`. Default: `id`. A
   * provider whose notifications carry no id of their own (Adyen's Balance Platform) says which id it derives.
   */
  builtEventId?(payload: object, id: string): string;
  /** Payloads of its shape that carry the personal data and card numbers given, which nothing may keep at rest. */
  withPersonalData?(plant: PersonalData): readonly string[];
  /** The documented code of a refusal read from the provider's answer, or `undefined` for a success. */
  errorCode(body: unknown): string | undefined;
  /** The schema issues of a `schema_violation` answer. */
  issues(body: unknown): readonly { path: string; message: string }[];
  /** Asserts the provider's success answer. */
  expectSuccess(res: Response, id: string, duplicate: boolean, payload?: unknown): void;
  /** Asserts a refusal in the provider's format with our documented code (and the provider's own code, when it has one). */
  expectRejection(res: Response, status: number, code: string): void;
}

/** Personal data and card numbers to plant in deliveries. */
export interface PersonalData {
  readonly pan: string;
  readonly email: string;
  readonly phone: string;
}

/** The default answer format: `{ received, id, duplicate }`, errors `{ error: { code, message, issues? } }`. */
export const jsonFormat = {
  errorCode: (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code,
  issues: (body: unknown) => (body as { error: { issues: { path: string; message: string }[] } }).error.issues,
  expectSuccess(res: Response, id: string, duplicate: boolean): void {
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    if (id.startsWith('sha256:')) {
      expect(res.body).to.include({ received: true, duplicate });
      expect(res.body.id).to.match(/^sha256:[0-9a-f]{64}$/);
    } else {
      expect(res.body).to.deep.equal({ received: true, id, duplicate });
    }
  },
  expectRejection(res: Response, status: number, code: string): void {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.body.error.code).to.equal(code);
    expect(res.body.error.message).to.be.a('string');
    if (code === 'unauthorized') expect(res.body.error.message).to.equal('Authentication failed.');
  },
};

export const bearerCredentials = (bearer: string) => ({ authorization: `Bearer ${bearer}` });

/** A `v-c-signature` over `<t>.<message>`, as Cybersource signs. */
export function cybersourceSignature(message: string | Buffer, key: { keyId: string; key: string }, t: number = Date.now()): string {
  const sig = createHmac('sha256', Buffer.from(key.key, 'base64')).update(`${t}.`).update(message).digest('base64');
  return `t=${t};keyId=${key.keyId};sig=${sig}`;
}
