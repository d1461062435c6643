import type { EntryStatus, ReceivedCount } from '../storage/storage';
import { ENTRY_STATUSES, STATS_BUCKET_MS } from '../storage/storage';
import type { Html } from './html';
import { html } from './html';

const WIDTH = 760;
const HEIGHT = 170;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * Deliveries per minute, stacked by current status, as inline SVG (hand-written: a chart library would be
 * most of the page's weight). Colours come from the stylesheet's classes, so the page needs no inline style.
 */
export function deliveriesChart(received: readonly ReceivedCount[], since: number, minutes: number): Html {
  const perMinute = Array.from({ length: minutes }, () => new Map<EntryStatus, number>());
  for (const r of received) {
    const slot = Math.floor((r.minute.getTime() - since) / STATS_BUCKET_MS);
    if (slot < 0 || slot >= minutes) continue;
    perMinute[slot]!.set(r.status, (perMinute[slot]!.get(r.status) ?? 0) + r.count);
  }
  const totals = perMinute.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slotWidth = (WIDTH - LEFT - 4) / minutes;
  const bars = perMinute.flatMap((counts, slot) => {
    let y = HEIGHT - BOTTOM;
    return ENTRY_STATUSES.filter((s) => counts.has(s)).map((status) => {
      const count = counts.get(status)!;
      const h = (count / max) * plotHeight;
      y -= h;
      const x = LEFT + slot * slotWidth;
      return html`<rect class="fill-${status}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, slotWidth - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${hhmm(since + slot * STATS_BUCKET_MS)} UTC: ${count} ${status}</title></rect>`;
    });
  });
  const ticks = ([[0, 'start'], [Math.floor(minutes / 2), 'middle'], [minutes - 1, 'end']] as const).map(([slot, anchor]) =>
    html`<text x="${(LEFT + (slot + (anchor === 'end' ? 1 : 0)) * slotWidth).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="${anchor}">${hhmm(since + slot * STATS_BUCKET_MS)}</text>`);
  const total = totals.reduce((a, b) => a + b, 0);
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${total} deliveries received in the last ${minutes} minutes, per minute by status">
<line x1="${LEFT}" y1="${TOP}" x2="${WIDTH}" y2="${TOP}"></line><line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH}" y2="${HEIGHT - BOTTOM}"></line>
<text x="2" y="${TOP + 8}">${max}</text><text x="2" y="${HEIGHT - BOTTOM}">0</text>
${bars}${ticks}
</svg>
<p class="legend">${ENTRY_STATUSES.map((s) => html`<span><i class="key-${s}"></i>${s}</span>`)}</p>`;
}
