import type { Entry, EntryQuery } from '../../storage/storage';
import type { Html } from '../html';
import { html } from '../html';
import type { PageContext } from '../context';
import { entriesTable } from '../entries';
import { bulkReplayLink, bulkReplayNotice } from '../bulk-replay';

/** Dead letters, failing and pending entries, quarantined deliveries and conflicting duplicates, newest first. */
export async function inboxPage(ctx: PageContext): Promise<{ title: string; body: Html }> {
  const { storage } = ctx.source;
  const list = (query: EntryQuery) => ctx.source.call('listEntries', () => storage.listEntries({ ...query, order: 'newest', limit: ctx.pageSize }));
  const [dead, failed, pending, quarantined, conflicted] = await Promise.all([
    list({ status: 'dead' }), list({ status: 'failed' }), list({ status: 'pending' }), list({ status: 'quarantined' }),
    // an adapter without stats may not know `conflicted`: what it answers is filtered here too
    list({ conflicted: true }).then((entries: Entry[]) => entries.filter((e) => e.conflicts > 0)),
  ]);
  const more = (entries: readonly Entry[]) => entries.length === ctx.pageSize ? html`<p class="muted">The newest ${ctx.pageSize} are shown.</p>` : '';
  const section = (title: string, help: string, entries: readonly Entry[], empty: string, bulk: Html | '' = '') =>
    html`<h2>${title}</h2><p class="muted">${help}</p>${bulk}${entriesTable(ctx, entries, { errors: true, empty })}${more(entries)}`;
  return {
    title: 'Inbox and dead letters',
    body: html`${bulkReplayNotice(ctx)}${section('Dead letters', 'Failed every attempt (inbox mode). Fix the cause, then replay.', dead, 'No dead letters.',
      dead.length ? bulkReplayLink(ctx, 'dead') : '')}
${section('Failing, to retry', ctx.source.mode === 'inbox'
      ? 'Their last run failed; the worker runs them again at their due time.'
      : 'Their last run failed; the provider\u2019s retry (or a replay) runs them again.', failed, 'Nothing failing.', failed.length ? bulkReplayLink(ctx, 'failed') : '')}
${section('Pending', 'Stored, waiting for the worker.', pending, 'Nothing pending.')}
${quarantined.length ? section('Quarantined', 'Authentic but unreadable (schema or mapping). Replay once the mapping is fixed.', quarantined, '') : ''}
${conflicted.length ? section('Conflicting duplicates', 'A copy arrived with the same id but another meaning; the first one stands.', conflicted, '') : ''}`,
  };
}
