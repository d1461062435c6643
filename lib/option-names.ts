import { ConfigurationError } from './errors';

/**
 * The option names an options object accepts: `true` for a value taken as it is, a nested tree for a plain
 * object whose own names are checked too. A misspelled option (`storag`, `tolerance`) must fail at start-up:
 * ignored, it silently runs on a default (the memory store, a window in the wrong unit).
 */
export interface OptionNames {
  readonly [name: string]: true | OptionNames;
}

/** Every name of `T`, so that adding an option to a type without listing it here fails to compile. */
export type NamesOf<T> = { readonly [K in keyof Required<T>]: true | OptionNames };

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name a misspelling most likely meant: a close edit, another case, the name without its unit or with another. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const score = other === lower ? 0
      : (other.startsWith(lower) && lower.length >= 4) || (lower.startsWith(other) && other.length >= 3) ? 1
        : distance(lower, other);
    if (score <= Math.max(2, Math.floor(name.length / 3)) && (!best || score < best.score)) best = { name: candidate, score };
  }
  return best?.name;
}

/** Throws `ERR_NTW_UNKNOWN_OPTION` for the first name of `options` (at any depth of `names`) that is not an option. */
export function checkOptionNames(where: string, options: unknown, names: OptionNames, path = ''): void {
  if (!isPlainObject(options)) return;
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(names, name)) {
      const known = Object.keys(names);
      const suggestion = closestName(name, known);
      throw new ConfigurationError('ERR_NTW_UNKNOWN_OPTION', `${where}: unknown option ${JSON.stringify(path + name)}`
        + (suggestion ? `; did you mean ${JSON.stringify(path + suggestion)}?` : `; known options: ${known.map((k) => path + k).join(', ')}`));
    }
    const nested = names[name];
    if (nested !== true && nested !== undefined) checkOptionNames(where, options[name], nested, `${path}${name}.`);
  }
}
