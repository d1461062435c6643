import type { RefusalMinute } from '../storage/storage';
import type { RefusalCount, RefusalRow, RefusalSnapshot } from '../telemetry/refusal-tally';
import type { Html } from './html';
import { html, time } from './html';

const table = (rows: readonly RefusalCount[]) => html`<table aria-label="Refused by provider and code"><thead><tr><th>Provider</th><th class="num">HTTP status</th><th>Code</th><th class="num">Refused</th><th>Last</th></tr></thead>
<tbody>${rows.map((row) => html`<tr><td>${row.provider}</td><td class="num">${row.status}</td><td><code>${row.code}</code></td><td class="num">${row.count}</td><td>${time(row.last)}</td></tr>`)}</tbody></table>`;

/**
 * The deliveries every instance refused (wrong credentials, content type, schema) in the window, by provider, status
 * and code: refused deliveries are never stored as entries, so each instance adds its counts by minute to the storage's.
 */
export function fleetRefusalsPanel(minutes: readonly RefusalMinute[], windowMinutes: number, tally: RefusalSnapshot): Html {
  const rows = new Map<string, RefusalRow>();
  for (const m of minutes) {
    const key = `${m.provider}\u0000${m.status}\u0000${m.code}`;
    const row = rows.get(key);
    if (row) {
      row.count += m.count;
      if (m.last > row.last) row.last = m.last;
    } else {
      rows.set(key, { provider: m.provider, status: m.status, code: m.code, count: m.count, last: m.last });
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.provider.localeCompare(b.provider) || a.code.localeCompare(b.code) || a.status - b.status);
  const own = tally.rows.reduce((n, row) => n + row.count, 0) + tally.untallied;
  const scope = html`<p class="muted">Counted by every instance sharing this storage, by minute; the storage keeps 24 hours of them. Refused deliveries are
never stored as events. This instance refused ${own} since it started (${time(tally.since)}); the metric <code>ntw.deliveries</code> with
<code>ntw.outcome="refused"</code> counts them too.</p>`;
  const title = html`<h2>Refused in the last ${windowMinutes} minutes, every instance</h2>`;
  if (sorted.length === 0) return html`${title}\n${scope}\n<p class="muted">None.</p>`;
  return html`${title}\n${scope}\n${table(sorted)}`;
}

/**
 * The deliveries this process refused, from its own tally: what the console shows when the storage keeps no refusals
 * (`Storage.addRefusals`), so only this instance's, since it started.
 */
export function refusalsPanel(tally: RefusalSnapshot): Html {
  const since = time(tally.since);
  const scope = html`<p class="muted">Counted by this process since it started (${since}): each instance counts its own and a restart starts again
at zero (this storage adapter keeps no refusals for the fleet). Refused deliveries are never stored; the metric <code>ntw.deliveries</code> with <code>ntw.outcome="refused"</code> counts them across instances.</p>`;
  if (tally.rows.length === 0 && tally.untallied === 0) return html`<h2>Refused by this instance since it started</h2>\n${scope}\n<p class="muted">None since ${since}.</p>`;
  return html`<h2>Refused by this instance since it started</h2>
${scope}
${table(tally.rows)}${
  tally.untallied > 0 ? html`\n<p class="muted">${tally.untallied} more refused, of kinds past the ${tally.rows.length} rows kept: not broken down.</p>` : ''}`;
}
