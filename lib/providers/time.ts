/** The usual shape, which `Date` reads as it is: `2025-07-03T10:30:12Z`, `2025-07-03T10:30:12.123Z`. */
const PLAIN_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
/** The same without a zone (`2025-07-03T10:30:12`): at the default offset, which `Date` reads appended as it is. */
const PLAIN_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?$/;

/**
 * Parse an ISO 8601 date-time the schemas accepted (`T`, `t` or a space between date and time; any fraction).
 * A value without a zone is at `defaultOffset` (`Z`, or `±hh:mm`).
 */
export function parseProviderTime(value: string, defaultOffset = 'Z'): Date {
  if (PLAIN_UTC.test(value)) return new Date(value);
  if (PLAIN_NO_ZONE.test(value)) return new Date(value + defaultOffset);
  const hasZone = /(Z|z|[+-]\d{2}:?\d{2})$/.test(value);
  const normalized = value.replace(/[ t]/, 'T').replace(/z$/, 'Z').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(hasZone ? normalized : `${normalized}${defaultOffset}`);
}

/** A UTC offset option: `Z` or `±hh:mm`. */
export const OFFSET = /^(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;
