import { Readable } from 'node:stream';
import { expect } from 'chai';
import { createTokenWebhooks, WebhookError } from '../../lib';
import type { TokenEvent } from '../../lib';
import { readStream } from '../../lib/pipeline/read-stream';
import { BEARER, recordHandlers } from '../helpers/app';
import { fixture } from '../helpers/fixtures';

const body = fixture('tokenex', 'request').text;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` };

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < text.length; at += size) yield Buffer.from(text.slice(at, at + size));
}

/** A stream that sends its first bytes, then nothing, until it is let go of. */
function stalled(): { stream: AsyncIterable<Uint8Array>; released: Promise<void> } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const stream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let sent = false;
      return {
        next: () => {
          if (sent) return new Promise<IteratorResult<Uint8Array>>(() => undefined);
          sent = true;
          return Promise.resolve({ done: false, value: Buffer.from('{') });
        },
        return: () => {
          release();
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
  return { stream, released };
}

const codeOf = async (read: Promise<unknown>): Promise<string | undefined> => {
  try {
    await read;
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(WebhookError);
    return (error as WebhookError).code;
  }
};

describe('the receiver with a body stream: the size limit and the body deadline of any transport', () => {
  const made: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const webhooks of made.splice(0)) await webhooks.close();
  });
  const receiver = (options: { limit?: number; bodyTimeoutMs?: number } = {}) => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    made.push(webhooks);
    return { receive: webhooks.receiver('tokenex', { auth: { bearer: BEARER }, ...options }), recorder: recordHandlers(webhooks) };
  };

  it('reads a Node stream, a WHATWG stream and an async iterable alike', async () => {
    const { receive, recorder } = receiver();
    const bodies = [Readable.from([Buffer.from(body)]), Readable.toWeb(Readable.from([Buffer.from(body)])), chunksOf(body, 7)];
    const answers = [];
    for (const stream of bodies) answers.push(await receive({ headers, stream }));
    expect(answers.map((a) => [a.status, a.headers['ntw-outcome']])).to.deep.equal([[200, 'accepted'], [200, 'duplicate'], [200, 'duplicate']]);
    expect(recorder.count('event')).to.equal(1);
  });

  it('lower-cases the header names it is given', async () => {
    const { receive } = receiver();
    const answer = await receive({ headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BEARER}` }, rawBody: body });
    expect(answer.status).to.equal(200);
  });

  it('refuses a body past the limit as it arrives (413), and one announced larger before reading it', async () => {
    const { receive, recorder } = receiver({ limit: 100 });
    const streamed = await receive({ headers, stream: chunksOf(body, 16) });
    expect([streamed.status, streamed.outcome.ok || streamed.outcome.error.code]).to.deep.equal([413, 'payload_too_large']);
    let pulled = 0;
    const counted = (async function* () { pulled++; yield Buffer.from(body); })();
    const announced = await receive({ headers: { ...headers, 'content-length': String(body.length) }, stream: counted });
    expect(announced.status).to.equal(413);
    expect(pulled, 'chunks read of a body announced too large').to.equal(0);
    expect(recorder.calls).to.have.length(0);
  });

  it('answers 408 body_timeout for a body that stops arriving, and lets go of its stream', async () => {
    const { receive } = receiver({ bodyTimeoutMs: 300 });
    const { stream, released } = stalled();
    const answer = await receive({ headers, stream });
    expect([answer.status, answer.outcome.ok || answer.outcome.error.code]).to.deep.equal([408, 'body_timeout']);
    await released;
  });

  it('refuses a body shorter or longer than its Content-Length (400 invalid_body)', async () => {
    const limits = { limit: 1024, bodyTimeoutMs: 1000 };
    expect(await codeOf(readStream(chunksOf('{"a":1}', 3), { ...limits, length: '10' }))).to.equal('invalid_body');
    expect(await codeOf(readStream(Readable.toWeb(Readable.from([Buffer.from('{"a":1}')])), { ...limits, length: '3' }))).to.equal('invalid_body');
    expect(await codeOf(readStream(Readable.from([Buffer.from('{"a":1}')]), { ...limits, length: '3' }))).to.equal('invalid_body');
    expect((await readStream(chunksOf('{"a":1}', 3), { ...limits, length: '7' })).toString()).to.equal('{"a":1}');
  });

  it('turns a stream that fails into 400 invalid_body', async () => {
    const failing = (async function* () { yield Buffer.from('{'); throw new Error('connection reset'); })();
    expect(await codeOf(readStream(failing, { limit: 1024, bodyTimeoutMs: 1000, length: undefined }))).to.equal('invalid_body');
  });
});
