import type { EntryStatus, LedgerStats } from '../../storage/storage';
import { ENTRY_STATUSES, STATS_BUCKET_MS } from '../../storage/storage';
import type { TokenState } from '../../events';
import type { Html } from '../html';
import { href, html } from '../html';
import type { PageContext } from '../context';
import { deliveriesChart } from '../chart';
import { entriesTable, statusBadge } from '../entries';
import { fleetRefusalsPanel, refusalsPanel } from '../refusals';

const SHOWN_STATES: readonly TokenState[] = ['ACTIVE', 'SUSPENDED', 'DELETED'];

/** Counts by provider (sorted), then by column. */
function pivot<C extends string>(rows: readonly { provider: string; column: C; count: number }[]): Map<string, Map<C, number>> {
  const table = new Map<string, Map<C, number>>();
  for (const row of rows) {
    const line = table.get(row.provider) ?? new Map<C, number>();
    line.set(row.column, (line.get(row.column) ?? 0) + row.count);
    table.set(row.provider, line);
  }
  return new Map([...table].sort(([a], [b]) => a.localeCompare(b)));
}

function countsTable<C extends string>(caption: string, columns: readonly C[], table: Map<string, Map<C, number>>, cell: (provider: string, column: C, n: number) => Html | number): Html {
  if (table.size === 0) return html`<p class="muted">None.</p>`;
  const shown = columns.filter((c) => [...table.values()].some((line) => line.has(c)));
  return html`<table aria-label="${caption}"><thead><tr><th>Provider</th>${shown.map((c) => html`<th class="num">${c}</th>`)}<th class="num">total</th></tr></thead>
<tbody>${[...table].map(([provider, line]) => html`<tr><td>${provider}</td>${shown.map((c) => html`<td class="num">${line.has(c) ? cell(provider, c, line.get(c)!) : ''}</td>`)}<td class="num">${
    [...line.values()].reduce((a, b) => a + b, 0)}</td></tr>`)}</tbody></table>`;
}

function statsSections(ctx: PageContext, stats: LedgerStats, since: number): Html {
  const received = pivot(stats.received.map((r) => ({ ...r, column: r.status })));
  const open = pivot(stats.open.map((r) => ({ ...r, column: r.status })));
  const tokens = pivot(stats.tokens.map((r) => ({ ...r, column: r.state })));
  const total = (status: EntryStatus) => stats.open.filter((r) => r.status === status).reduce((a, r) => a + r.count, 0);
  const card = (label: string, n: number, page: string, params: Record<string, string> = {}) =>
    html`<div class="card"><a href="${href(ctx.base, page, params)}">${label}</a><b>${n}</b></div>`;
  return html`<section class="cards" aria-label="Open entries">
${card('Dead letters', total('dead'), 'inbox')}${card('Failing, to retry', total('failed'), 'inbox')}${card('Pending', total('pending'), 'inbox')}${
  card('Running', total('running'), 'inbox')}${card('Quarantined', total('quarantined'), 'inbox')}${card('Conflicting duplicates', stats.conflicted, 'inbox')}
</section>
<h2>Deliveries per minute, last ${ctx.windowMinutes} minutes (by current status)</h2>
${deliveriesChart(stats.received, since, ctx.windowMinutes)}
<h2>Deliveries in the last ${ctx.windowMinutes} minutes, by provider and status</h2>
${countsTable('Deliveries by provider and status', ENTRY_STATUSES, received, (_p, _c, n) => n)}
<h2>Open entries, by provider and status</h2>
${countsTable('Open entries by provider and status', ENTRY_STATUSES, open, (_p, status, n) => html`${statusBadge(status)} ${n}`)}
<h2>Tokens by state</h2>
${countsTable('Tokens by provider and state', SHOWN_STATES, tokens, (_p, _s, n) => n)}`;
}

/** Counts over the window, the chart, the fleet's refusals, and the newest deliveries. */
export async function overviewPage(ctx: PageContext): Promise<{ title: string; body: Html }> {
  const { storage } = ctx.source;
  const now = ctx.source.now().getTime();
  const until = now - (now % STATS_BUCKET_MS) + STATS_BUCKET_MS;
  const since = until - ctx.windowMinutes * STATS_BUCKET_MS;
  const [stats, recent, refused] = await Promise.all([
    storage.stats ? ctx.source.call('stats', () => storage.stats!({ since: new Date(since), until: new Date(until) })) : undefined,
    ctx.source.call('listEntries', () => storage.listEntries({ order: 'newest', limit: ctx.pageSize })),
    ctx.source.fleetRefusals(new Date(since)),
  ]);
  const tally = ctx.source.refusals();
  const counts = stats
    ? statsSections(ctx, stats, since)
    : html`<p class="notice">This storage adapter does not count (it has no <code>stats()</code>): only the newest deliveries are shown.</p>`;
  return {
    title: 'Overview',
    body: html`${counts}
${refused ? fleetRefusalsPanel(refused, ctx.windowMinutes, tally) : refusalsPanel(tally)}
<h2>Newest deliveries</h2>
${entriesTable(ctx, recent, { empty: 'Nothing received yet.' })}`,
  };
}
