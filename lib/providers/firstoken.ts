import { createHash } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { sharedSecretAuthenticator } from '../auth/shared-secret';
import type { ProviderOptions } from './provider';
import { defineProvider } from './provider';
import { parseProviderTime } from './time';

type FirstokenStatus = Extract<TokenState, 'ACTIVE' | 'SUSPENDED' | 'DELETED'>;

interface FirstokenFields {
  readonly event_id?: string;
  readonly id?: string;
  readonly status?: string;
  readonly ft_token?: string;
  readonly created_at?: string;
  readonly reference_code?: string;
}

/** The assumed Firstoken webhook envelope (see `schemas/firstoken.schema.json` for each assumption). */
export interface FirstokenPayload extends FirstokenFields {
  readonly message?: string;
  readonly data?: FirstokenFields & Readonly<Record<string, unknown>>;
}

/** Where to read each field, when your Firstoken payloads differ from the assumed envelope. */
export interface FirstokenMapping {
  /** Return `undefined` to dedupe on the SHA-256 of the raw body. */
  readonly eventId?: (raw: FirstokenPayload) => string | undefined;
  readonly tokenRef?: (raw: FirstokenPayload) => string;
  readonly status?: (raw: FirstokenPayload) => FirstokenStatus;
  /** Return `undefined` to use the time of receipt. */
  readonly occurredAt?: (raw: FirstokenPayload) => Date | undefined;
}

export type FirstokenOptions = ProviderOptions & {
  readonly auth?: SharedSecretAuth | 'none';
  readonly mapping?: FirstokenMapping;
};

const STATUSES: ReadonlySet<string> = new Set<FirstokenStatus>(['ACTIVE', 'SUSPENDED', 'DELETED']);

const defaults: Required<FirstokenMapping> = {
  eventId: (raw) => raw.event_id ?? raw.id ?? raw.data?.event_id ?? raw.data?.id,
  tokenRef: (raw) => (raw.data?.ft_token ?? raw.ft_token)!,
  status: (raw) => (raw.status && STATUSES.has(raw.status) ? raw.status : raw.data?.status) as FirstokenStatus,
  occurredAt: (raw) => {
    const time = raw.data?.created_at ?? raw.created_at;
    return time === undefined ? undefined : parseProviderTime(time);
  },
};

const mapping = (options: FirstokenOptions): Required<FirstokenMapping> => ({ ...defaults, ...options.mapping });

export const firstoken = defineProvider<'firstoken', FirstokenPayload, FirstokenOptions>({
  name: 'firstoken',
  schema: loadSchema('firstoken'),

  authenticator: (options) =>
    options.auth && options.auth !== 'none' ? sharedSecretAuthenticator(options.auth, 'firstoken()') : undefined,

  eventId: (raw, rawBody, options) =>
    mapping(options).eventId(raw) ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`,

  normalize(raw, options) {
    const map = mapping(options);
    const state = map.status(raw);
    const occurredAt = map.occurredAt(raw);
    return {
      type: stateEventType(state),
      state,
      tokenRef: map.tokenRef(raw),
      ...(raw.message ? { reason: raw.message } : {}),
      changes: [],
      ...(occurredAt ? { occurredAt } : {}),
    };
  },
});
