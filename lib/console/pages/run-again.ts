import { html, href, time } from '../html';
import type { PageContext, PageResult } from '../context';
import { replayForm, statusBadge, tokenLink } from '../entries';

/**
 * The confirmation before a done event runs again: its handlers completed once, and will run once more (the
 * token's state is not moved back). Its form is the only one that replays a done event (`confirm=yes`).
 */
export async function runAgainPage(ctx: PageContext): Promise<PageResult> {
  const provider = ctx.query.get('provider') ?? '';
  const id = ctx.query.get('id') ?? '';
  const entry = provider && id ? await ctx.source.call('getEntry', () => ctx.source.storage.getEntry({ provider, id })) : undefined;
  if (!entry) return { title: 'Event not found', status: 404, body: html`<p class="notice bad">No stored event has this provider and id (it may have been pruned).</p>` };
  const back = html`<a href="${href(ctx.base, 'event', { provider, id })}">Back to the event</a>`;
  if (entry.status !== 'done') {
    return { title: 'Run again', body: html`<p class="notice">This event is ${entry.status}, not done: nothing to confirm.</p><p>${back}</p>` };
  }
  return {
    title: 'Run again?',
    body: html`<dl class="facts" aria-label="Event">
<dt>Event id</dt><dd class="mono">${entry.id}</dd>
<dt>Provider</dt><dd>${entry.provider}</dd>
<dt>Type</dt><dd>${entry.type}</dd>
<dt>Token</dt><dd>${tokenLink(ctx, entry)}</dd>
<dt>Status</dt><dd>${statusBadge(entry.status)}</dd>
<dt>Settled</dt><dd>${time(entry.dueAt)}</dd>
</dl>
<p class="notice">Its handlers completed at ${time(entry.dueAt)}. Running it again runs them once more, with whatever they do
(a charge stopped, an email sent); the token's state is not moved back.</p>
<p>${replayForm(ctx, entry, 'Run again', true)} ${back}</p>`,
  };
}
