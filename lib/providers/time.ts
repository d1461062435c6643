/**
 * Parse an ISO 8601 date-time the schemas accepted (`T`, `t` or a space between date and time; any fraction).
 * A value without a zone is at `defaultOffset` (`Z`, or `±hh:mm`).
 */
export function parseProviderTime(value: string, defaultOffset = 'Z'): Date {
  const hasZone = /(Z|z|[+-]\d{2}:?\d{2})$/.test(value);
  const normalized = value.replace(/[ t]/, 'T').replace(/z$/, 'Z').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(hasZone ? normalized : `${normalized}${defaultOffset}`);
}

/** A UTC offset option: `Z` or `±hh:mm`. */
export const OFFSET = /^(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;
