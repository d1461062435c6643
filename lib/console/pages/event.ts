import type { Html } from '../html';
import { html, time } from '../html';
import type { PageContext } from '../context';
import { flags, replayForm, replayable, statusBadge, tokenLink } from '../entries';

/** One stored entry: its outcome, last error, and the replay action. */
export async function eventPage(ctx: PageContext): Promise<{ title: string; body: Html; status?: number }> {
  const provider = ctx.query.get('provider') ?? '';
  const id = ctx.query.get('id') ?? '';
  const entry = provider && id ? await ctx.source.call('getEntry', () => ctx.source.storage.getEntry({ provider, id })) : undefined;
  if (!entry) return { title: 'Event not found', status: 404, body: html`<p class="notice bad">No stored event has this provider and id (it may have been pruned).</p>` };
  const replayed = ctx.flash?.kind === 'replay' ? String(ctx.flash.replayed) : null;
  const notice = replayed === null ? '' : replayed === '0'
    ? html`<p class="notice bad" role="status">Nothing was replayed: the event is running or pending, or its provider's endpoint is not mounted here. It is ${entry.status}.</p>`
    : html`<p class="notice" role="status">Replayed ${replayed === '1' ? 'the event' : `${replayed} events`}${ctx.source.mode === 'inbox' ? ' (the worker runs it)' : ''}. It is now ${entry.status}.</p>`;
  return {
    title: 'Event',
    body: html`${notice}<dl class="facts" aria-label="Event">
<dt>Event id</dt><dd class="mono">${entry.id}</dd>
<dt>Provider</dt><dd>${entry.provider}</dd>
<dt>Type</dt><dd>${entry.type}</dd>
<dt>Token</dt><dd>${tokenLink(ctx, entry)}</dd>
<dt>State</dt><dd>${entry.state ?? ''}</dd>
<dt>Status</dt><dd>${statusBadge(entry.status)} ${flags(entry)}</dd>
<dt>Attempts</dt><dd>${entry.attempts}</dd>
<dt>Occurred</dt><dd>${time(entry.occurredAt)}</dd>
<dt>Received</dt><dd>${time(entry.receivedAt)}</dd>
<dt>${entry.status === 'running' ? 'Lease ends' : entry.status === 'pending' || entry.status === 'failed' ? 'Due' : 'Settled'}</dt><dd>${time(entry.dueAt)}</dd>
<dt>Last error</dt><dd class="error mono">${entry.lastError ?? ''}</dd>
</dl>
<p>${replayable(entry) ? replayForm(ctx, entry, entry.status === 'done' ? 'Run again' : 'Replay') : html`<span class="muted">Replay applies to failed, dead, done and quarantined events.</span>`}</p>`,
  };
}
