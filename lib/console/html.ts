import { escape } from 'html-escaper';

/** Markup built by `html`: its own text is trusted; everything interpolated into it was escaped. */
export class Html {
  constructor(readonly text: string) {}
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const render = (value: HtmlValue): string => {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escape(String(value));
};

/** A tagged template that escapes every interpolated value, except markup built by `html` itself. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0]!;
  values.forEach((value, i) => { text += render(value) + strings[i + 1]!; });
  return new Html(text);
}

/** A link within the console: its base path, a page, and query parameters (encoded here, escaped where interpolated). */
export function href(base: string, page: string, params: Readonly<Record<string, string | undefined>> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  const search = query.toString();
  return `${base}/${page}${search ? `?${search}` : ''}`;
}

/** A time as operators read logs: ISO 8601, UTC, to the second. */
export const time = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
