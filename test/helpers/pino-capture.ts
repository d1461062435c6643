import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';

/** A record as pino wrote it (one JSON line), parsed. */
export type PinoRecord = Record<string, unknown> & { readonly level: number; readonly msg: string; readonly component: string };

/** pino's numeric levels. */
export const PINO_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger (level debug) writing JSON lines to a stream that keeps them, parsed. */
export function pinoCapture(): { readonly logger: PinoLogger; readonly records: PinoRecord[]; readonly lines: string[] } {
  const records: PinoRecord[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line === '') continue;
        lines.push(line);
        records.push(JSON.parse(line) as PinoRecord);
      }
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records, lines };
}
