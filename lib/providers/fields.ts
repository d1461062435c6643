import type { NormalizedFields } from './provider';

/**
 * `NormalizedFields` as a provider's `normalize` builds them: one literal of the fields the event always has, the
 * optional ones set on it after. Not a literal that spreads an object and then names keys it lacks
 * (`{ ...common, type }`): V8 builds that through a slow path, several microseconds on every delivery.
 */
export type FieldsBuilt = { -readonly [K in keyof NormalizedFields]: NormalizedFields[K] };
