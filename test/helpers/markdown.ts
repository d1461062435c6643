import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** The documentation a person reads in the repository: README.md and the pages of docs/ (not the generated docs/api/). */
export function docPages(): string[] {
  const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...pages];
}

export interface Line {
  readonly number: number;
  readonly text: string;
}

/** The lines of `page` outside fenced code blocks, numbered from 1. */
export function proseLines(page: string): Line[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const prose: Line[] = [];
  let fenced = false;
  lines.forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    else if (!fenced) prose.push({ number: i + 1, text });
  });
  return prose;
}

/** The fenced blocks of `page` in `language`, each with the line its code starts on. */
export function codeBlocks(page: string, language: string): { line: number; code: string }[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const found: { line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== `\`\`\`${language}`) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${page}:${i + 1}: a code block that never closes`);
    found.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

/**
 * The anchor GitHub gives a heading: its text as rendered (link targets and code marks dropped), lowercase,
 * every character but letters, digits, `_`, `-` and spaces dropped, spaces made hyphens; a repeated one gets
 * `-1`, `-2`, … in order.
 */
export function headingAnchors(page: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(page)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The inline links and images of `page` (`[text](target)`, `![alt](target)`) outside code blocks and code spans. */
export function links(page: string): { line: number; text: string; target: string }[] {
  const found: { line: number; text: string; target: string }[] = [];
  for (const { number, text } of proseLines(page)) {
    const prose = text.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '');
    for (const match of prose.matchAll(/!?\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ line: number, text: match[1]!, target: match[2]! });
    }
  }
  return found;
}
