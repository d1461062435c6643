import type { ConsoleSource } from './context';
import type { Html } from './html';
import { href, html } from './html';
import type { FlashCookies } from './flash';
import { bulkQueryOf, CONSOLE_BULK_LIMIT } from './pages/bulk-replay';
import { StorageTimeoutError, storageError } from '../ledger/storage-error';
import { withDeadline } from '../shared/deadline';
import { logger } from '../log';

const log = logger('console');

/** A form's POST, checked for forgery already: its fields, and where the console is mounted. */
export interface ActionRequest {
  readonly form: URLSearchParams;
  readonly base: string;
  readonly source: ConsoleSource;
  readonly flash: FlashCookies;
}

/** Redirected (Post/Redirect/Get), with the cookie of a one-shot message; or a page saying why nothing was done. */
export type ActionResult =
  | { readonly redirect: string; readonly setCookie?: string }
  | { readonly status: number; readonly title: string; readonly body: Html };

export type Action = (request: ActionRequest) => Promise<ActionResult>;

/** Longer than any id or provider name the pipeline stores. */
const MAX_FIELD = 512;

/** `work`, its failure or a wait past `replayTimeoutMs` a `StorageError`: the console's page for it says so. */
function within<T>(source: ConsoleSource, operation: string, work: Promise<T>): Promise<T> {
  const ms = source.replayTimeoutMs;
  return withDeadline(work, ms, () => new StorageTimeoutError(operation, ms, source.storage))
    .catch((error: unknown) => { throw storageError(operation, error, source.storage); });
}

const refused = (text: string): ActionResult => ({ status: 400, title: 'Refused', body: html`<p class="notice bad">${text}</p>` });

/**
 * Replay one event. A done event runs again only from its confirmation page (`confirm=yes`): its handlers ran
 * already, and running them again is a decision, not a click on a list.
 */
export const replayAction: Action = async ({ form, base, source, flash }) => {
  const provider = form.get('provider') ?? '';
  const id = form.get('id') ?? '';
  if (!provider || !id || provider.length > MAX_FIELD || id.length > MAX_FIELD) return refused('A replay needs a provider and an event id.');
  if (form.get('confirm') !== 'yes') {
    const entry = await source.call('getEntry', () => source.storage.getEntry({ provider, id }));
    if (entry?.status === 'done') return { redirect: href(base, 'run-again', { provider, id }) };
  }
  const replayed = await within(source, 'replay', source.replay(id, provider));
  log.info({ provider, eventId: id, replayed }, 'replayed from the console', source.logger);
  const { marker, setCookie } = flash.set({ kind: 'replay', replayed });
  return { redirect: href(base, 'event', { provider, id, flash: marker }), setCookie };
};

/** Replay in bulk what the confirmation page counted: the same filter, up to the console's limit. */
export const bulkReplayAction: Action = async ({ form, base, source, flash }) => {
  const parsed = bulkQueryOf(form);
  if (!parsed.query) return refused(`Nothing was replayed: ${parsed.problem ?? 'the form is incomplete'}.`);
  const { replayed } = await within(source, 'replayMany', source.replayMany({ ...parsed.query, limit: CONSOLE_BULK_LIMIT }));
  const { marker, setCookie } = flash.set({ kind: 'bulk', replayed });
  return { redirect: href(base, 'inbox', { flash: marker }), setCookie };
};
