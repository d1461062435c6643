import { expect } from 'chai';

const TYPE = 'NetworkTokenWebhooksWarning';

/**
 * Run `run` and answer what it returns with the messages of the library's process warnings it emitted, which
 * reach neither the `warning` event nor the test output. Other warnings pass through as usual.
 */
export function capturingWarnings<T>(run: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === TYPE) warnings.push(typeof warning === 'string' ? warning : warning.message);
    else Reflect.apply(emitWarning, process, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    return { result: run(), warnings };
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Run `mount`, which sets up an endpoint with `auth: 'none'` on purpose, and answer what it returns. The library
 * warns its users about such an endpoint with a process warning: here it is expected, so it is checked (when
 * `mount` returns) and kept out of the test output.
 */
export function unauthenticated<T>(mount: () => T): T {
  const { result, warnings } = capturingWarnings(mount);
  expect(warnings).to.have.length(1);
  expect(warnings[0]).to.match(/endpoint accepts unauthenticated deliveries \(auth: 'none'\)$/);
  return result;
}
