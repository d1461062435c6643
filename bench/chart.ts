/**
 * The results as an SVG bar chart, written by hand (no chart library): each row's req/s as a ratio to row 3
 * (Express + express.json()), with a reference line at 1.0.
 */
import type { Machine, RowResult } from './report';

const COLORS: Record<RowResult['group'], string> = { baseline: '#8c8c8c', 'hand-written': '#b7791f', ours: '#2b6cb0', duplicates: '#2f855a' };

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function chart(results: readonly RowResult[], info: { readonly machine: Machine; readonly date: string; readonly note: string }): string {
  const rows = results.filter((r) => r.median && r.ratios.toExpressJson !== undefined);
  // wide enough for the longest label (about 7 px a character at 12 px), so none runs off the left edge
  const labelWidth = Math.max(200, 18 + 7 * Math.max(0, ...rows.map((r) => r.label.length)));
  const barWidth = 430;
  const valueWidth = 110;
  const rowHeight = 26;
  const top = 62;
  const width = labelWidth + barWidth + valueWidth + 20;
  const height = top + Math.max(rows.length, 1) * rowHeight + 46;
  const max = Math.max(1, ...rows.map((r) => r.ratios.toExpressJson!)) * 1.08;
  const x = (ratio: number) => labelWidth + (ratio / max) * barWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Throughput relative to Express + express.json() (req/s ratio, median of the rounds)</text>`,
    `<text x="10" y="38" fill="#555">${escapeXml(`${info.date} · ${info.machine.cores} cores, ${info.machine.model} · Node ${info.machine.node}`)}</text>`,
    `<text x="10" y="54" fill="#555">${escapeXml(info.note)}</text>`,
  ];
  const bottom = top + Math.max(rows.length, 1) * rowHeight;
  const one = x(1).toFixed(1);
  // The reference line first, so bars and their labels are drawn over it.
  parts.push(`<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${bottom + 4}" stroke="#c53030" stroke-width="1.5" stroke-dasharray="5,3"/>`);
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const ratio = r.ratios.toExpressJson!;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeXml(r.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 5}" width="${(x(ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 10}" fill="${COLORS[r.group]}"/>`,
      `<text x="${(x(ratio) + 5).toFixed(1)}" y="${y + 17}" stroke="#fff" stroke-width="3" paint-order="stroke">${ratio.toFixed(2)}× · ${Math.round(r.median!.reqPerSec).toLocaleString('en-US')}/s</text>`,
    );
  });
  if (!rows.length) parts.push(`<text x="${labelWidth}" y="${top + 17}" fill="#555">no ratios: the express.json() row was not measured</text>`);
  parts.push(
    `<text x="${one}" y="${bottom + 18}" text-anchor="middle" fill="#c53030">1.0 = express.json()</text>`,
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${bottom + 4}" stroke="#333"/>`,
  );
  const skipped = results.filter((r) => !r.median);
  if (skipped.length) {
    parts.push(`<text x="10" y="${bottom + 36}" fill="#555">${escapeXml(`not measured: ${skipped.map((r) => r.label).join('; ')} (reasons in latest.json)`)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
