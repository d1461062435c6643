import type { Entry, EntryHistory } from '../../storage/storage';
import { NO_HISTORY } from '../../storage/kit/history';
import type { Html } from '../html';
import { html, time } from '../html';
import type { PageContext } from '../context';
import { eventLink, flags, replayForm, replayable, statusBadge, tokenLink } from '../entries';
import { attemptsTable } from '../attempts';
import { storedPayload } from '../payload';

/** The deliveries of its id: the first (the entry), then each copy recorded, duplicates and conflicting ones. */
function deliveriesTable(entry: Entry, history: EntryHistory): Html {
  // an entry carried over from 0.1 has no fingerprint: every copy of it is a duplicate
  const conflicting = (fingerprint: string) => entry.fingerprint !== '' && fingerprint !== entry.fingerprint;
  const listed = history.copies.filter((c) => conflicting(c.fingerprint)).length;
  const unlisted = entry.conflicts - listed;
  return html`<table aria-label="Deliveries of this id"><thead><tr><th>Received</th><th>Fingerprint</th><th>What it was</th></tr></thead>
<tbody><tr><td>${time(entry.receivedAt)}</td><td class="mono">${entry.fingerprint || html`<span class="muted">none (stored by 0.1)</span>`}</td><td>the first: this entry</td></tr>
${history.copies.map((c) => html`<tr><td>${time(c.at)}</td><td class="mono">${c.fingerprint}</td><td>${conflicting(c.fingerprint)
    ? html`<span class="flag flag-conflict">conflicting copy</span> another meaning under the same id; the first one stands`
    : 'a copy with the same meaning: a duplicate, or the provider\u2019s retry'}</td></tr>`)}</tbody></table>${
  unlisted > 0 ? html`\n<p class="muted">${unlisted} more conflicting ${unlisted === 1 ? 'copy was' : 'copies were'} counted before the newest copies kept here.</p>` : ''}${
  html`\n<p class="muted">A copy answered from an instance's cache of finished events never reached the ledger and is not listed.</p>`}`;
}

/** One stored entry: its outcome, every attempt, the deliveries of its id, its payload as stored, and the replay action. */
export async function eventPage(ctx: PageContext): Promise<{ title: string; body: Html; status?: number }> {
  const provider = ctx.query.get('provider') ?? '';
  const id = ctx.query.get('id') ?? '';
  const { storage } = ctx.source;
  const entry = provider && id ? await ctx.source.call('getEntry', () => storage.getEntry({ provider, id })) : undefined;
  if (!entry) return { title: 'Event not found', status: 404, body: html`<p class="notice bad">No stored event has this provider and id (it may have been pruned).</p>` };
  const [history, sameId] = await Promise.all([
    storage.getHistory ? ctx.source.call('getHistory', () => storage.getHistory!({ provider, id })) : undefined,
    ctx.source.call('listEntries', () => storage.listEntries({ id, limit: 20 })),
  ]);
  const others = sameId.filter((e) => e.id === id && e.provider !== provider);
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
<dt>${entry.status === 'quarantined' ? 'Why quarantined' : 'Last error'}</dt><dd class="error mono">${entry.lastError ?? ''}</dd>
</dl>
<p>${replayable(entry) ? replayForm(ctx, entry, entry.status === 'done' ? 'Run again' : 'Replay') : html`<span class="muted">Replay applies to failed, dead, done and quarantined events.</span>`}</p>
<h2>Attempts</h2>
${history ? attemptsTable(entry, history) : html`<p class="muted">This storage adapter keeps no attempt log (it has no <code>getHistory()</code>): ${entry.attempts} attempt(s) so far.</p>`}
<h2>Deliveries of this id</h2>
${deliveriesTable(entry, history ?? NO_HISTORY)}${others.length ? html`
<p>The same id is stored for ${others.map((e, i) => html`${i ? ', ' : ''}${e.provider} (${eventLink(ctx, e)})`)} too.</p>` : ''}
<h2>Payload, as stored</h2>
${storedPayload(ctx, entry)}`,
  };
}
