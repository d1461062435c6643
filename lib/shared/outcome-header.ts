/**
 * The response header that names a delivery's outcome (`accepted`, `duplicate`, …), in every provider's answer:
 * a sender's tests read it where the provider's own format cannot say (NI's answer has no duplicate flag).
 */
export const OUTCOME_HEADER = 'ntw-outcome';
