/**
 * A delivery the receiver refused for good (a 4xx that is not retry-later: 400, 401, 405, 413, 415):
 * what `onRefused` receives. It names the provider and the documented code, never the request's content.
 */
export interface Refusal {
  readonly provider: string;
  readonly status: number;
  /** The documented code (`unauthorized`, `schema_violation`, …): docs/configuration.md, "Responses and error codes". */
  readonly code: string;
  /** The message the sender was answered with. */
  readonly message: string;
  readonly at: Date;
}

export type RefusalHandler = (refusal: Refusal) => unknown;
