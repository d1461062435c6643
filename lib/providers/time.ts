/** Parse an ISO 8601 date-time the schemas accepted; a value without a zone is UTC. */
export function parseProviderTime(value: string): Date {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const normalized = value.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(hasZone ? normalized : `${normalized}Z`);
}
