import createDebug from 'debug';
import { formatWithOptions } from 'node:util';
import { redactText } from './redact';

export type Log = (format: string, ...args: unknown[]) => void;

/**
 * A `debug` logger under `network-token-webhooks:<area>`. Every line is formatted here and then
 * scrubbed of card numbers, emails and phone numbers, so no call site can leak one by accident.
 */
export function logger(area: string): Log {
  const debug = createDebug(`network-token-webhooks:${area}`);
  return (format, ...args) => {
    if (!debug.enabled) return;
    debug('%s', redactText(formatWithOptions({ depth: 4, breakLength: Infinity }, format, ...args)));
  };
}
