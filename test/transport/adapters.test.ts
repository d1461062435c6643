import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { TokenEvent, TokenWebhooks } from '../../lib';
import { recordHandlers } from '../helpers/app';
import type { Recorder } from '../helpers/app';
import { SUBJECTS } from './subjects';
import type { Subject } from './subjects';
import { TRANSPORTS } from './transports';
import type { Served } from './transports';

/**
 * The shared adapter table: the same deliveries, to every provider's endpoint (and two of the tests' own shapes),
 * on Express 5, Express 4, the Fastify plugin and a fetch handler served by Node. The pipeline judges every
 * request in one place, so each transport must answer each case alike: only the translation differs.
 */

interface Bench {
  readonly served: Served;
  readonly webhooks: TokenWebhooks<TokenEvent>;
  readonly recorder: Recorder;
  readonly path: string;
}

/** What a raw HTTP/1.1 exchange got back before the server closed the connection: the status, the head and the body. */
interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly text: string;
}

/** Send a request's head and the first bytes of its body, then nothing more: the answer comes by the body deadline. */
function stall(port: number, path: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const head = Object.entries({ host: 'x', 'content-type': 'application/json', 'content-length': '1000', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n{`);
    let text = '';
    socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, text: body });
    });
  });
}

/** A GET and an empty POST, one after the other on one keep-alive connection: both answered, the connection kept. */
function twoOnOneConnection(port: number, path: string): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\nPOST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`);
    let text = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const heads = [...text.matchAll(/HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n/g)];
      const lengths = heads.map((h) => Number(/content-length: (\d+)/i.exec(h[0])?.[1] ?? 0));
      const complete = heads.length === 2 && text.length >= heads[1]!.index! + heads[1]![0].length + lengths[1]!;
      if (!complete) return;
      socket.destroy();
      resolve(heads.map((h) => ({ status: Number(h[1]), head: h[0], text: '' })));
    });
  });
}

for (const transport of TRANSPORTS) {
  describe(`the shared adapter table: ${transport.name}`, () => {
    for (const subject of SUBJECTS) {
      describe(subject.name, () => {
        let bench: Bench;
        beforeEach(async () => {
          const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
          const recorder = recordHandlers(webhooks);
          const path = '/webhooks/endpoint';
          const served = await transport.serve(webhooks, [{ provider: subject.provider, path, options: subject.options }]);
          bench = { served, webhooks, recorder, path };
        });
        afterEach(async () => {
          await bench.served.close();
          await bench.webhooks.close();
        });

        const post = (body: string | Buffer, headers: Record<string, string>) =>
          request(bench.served.server).post(bench.path).set(headers).serialize((data) => data as string).send(body as string);
        const signed = (body: string) => ({ 'content-type': 'application/json', ...subject.sign(body) });

        it('an authentic delivery runs the handlers once per event and gets the provider\'s acknowledgement; its copy is a duplicate', async () => {
          subject.expectAccepted(await post(subject.body, signed(subject.body)), false);
          expect(bench.recorder.count('event')).to.equal(subject.events);
          subject.expectAccepted(await post(subject.body, signed(subject.body)), true);
          expect(bench.recorder.count('event'), 'handlers after the copy').to.equal(subject.events);
          expect(await bench.webhooks.listEvents()).to.have.length(subject.events);
        });

        if (subject.carriageOnly) return;

        it('a gzip body is decoded, and verified over the bytes the provider signed', async () => {
          subject.expectAccepted(await post(gzipSync(subject.body), { ...signed(subject.body), 'content-encoding': 'gzip' }), false);
          expect(bench.recorder.count('event')).to.equal(subject.events);
        });

        if (!subject.authenticatedElsewhere) it('without credentials: 401 unauthorized, nothing run or stored', async () => {
          subject.expectRefused(await post(subject.body, { 'content-type': 'application/json' }), 401, 'unauthorized');
          expect(bench.recorder.calls).to.have.length(0);
          expect(await bench.webhooks.listEvents()).to.have.length(0);
        });

        it('PUT: 405 method_not_allowed', async () => {
          subject.expectRefused(await request(bench.served.server).put(bench.path).set(signed(subject.body)).send(subject.body), 405, 'method_not_allowed');
        });

        it('a body that is not JSON by its Content-Type: 415 unsupported_media_type, and so is a Content-Type no parser can read', async () => {
          subject.expectRefused(await post(subject.body, { ...signed(subject.body), 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
          subject.expectRefused(await post(subject.body, { ...signed(subject.body), 'content-type': 'json' }), 415, 'unsupported_media_type');
          expect(bench.recorder.calls).to.have.length(0);
        });

        it('a body over the endpoint\'s limit: 413 payload_too_large, and the connection closed', async () => {
          const large = JSON.stringify({ padding: 'x'.repeat(100 * 1024) });
          const res = await post(large, signed(large));
          subject.expectRefused(res, 413, 'payload_too_large');
          expect(res.headers.connection).to.equal('close');
        });

        it('a body that stops arriving: 408 body_timeout once the body deadline passes, and the connection closed', async function () {
          this.timeout(10_000);
          // answered only once the server closes the connection
          const answer = await stall(bench.served.port, bench.path, subject.sign(subject.body));
          expect(answer.status, answer.text).to.equal(408);
          expect(subject.refusalCode(answer.status, answer.text)).to.equal('body_timeout');
          expect(answer.head.toLowerCase()).to.include('connection: close');
          expect(bench.recorder.calls).to.have.length(0);
        });

        it('a request without a body (a GET, an empty POST) leaves the connection open for the next one', async () => {
          const answers = await twoOnOneConnection(bench.served.port, bench.path);
          expect(answers.map((a) => a.status)).to.deep.equal(subject.healthCheck ? [200, 200] : [405, 415]);
        });

        if (subject.healthCheck) {
          it('the sender\'s health check, a GET or an empty POST: 200 {"status":"ok"}, nothing run', async () => {
            for (const res of [await request(bench.served.server).get(bench.path), await request(bench.served.server).post(bench.path)]) {
              expect(res.status, res.text).to.equal(200);
              expect(res.text).to.equal('{"status":"ok"}');
              expect(res.headers['ntw-outcome']).to.equal('health_check');
            }
            expect(bench.recorder.calls).to.have.length(0);
          });
        } else {
          it('GET: 405 method_not_allowed (no health check to answer)', async () => {
            subject.expectRefused(await request(bench.served.server).get(bench.path), 405, 'method_not_allowed');
          });
        }
      });
    }
  });
}

describe('the shared adapter table: what an authenticate hook sees', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport.name}: the method, the headers by lower-cased name, the client address and the exact bytes`, async () => {
      const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false }).onEvent(() => undefined);
      const seen: unknown[] = [];
      const options = { authenticate: (req: { method: string; headers: Record<string, unknown>; ip: string | undefined }, raw: Buffer) => {
        seen.push([req.method, req.headers['x-signature'], req.ip?.replace(/^::ffff:/, ''), raw.toString('utf8')]);
        return true;
      } };
      const served = await transport.serve(webhooks, [{ provider: 'tokenex', path: '/webhooks/tokenex', options }]);
      try {
        const body = ' {"spaced" : "as sent"} ';
        const res = await request(served.server).post('/webhooks/tokenex').set({ 'content-type': 'application/json', 'X-Signature': 'sig' }).send(body);
        expect(res.status).to.equal(400); // authentic, but no TokenEx notification: its schema refuses it
        expect(seen).to.deep.equal([['POST', 'sig', '127.0.0.1', body]]);
      } finally {
        await served.close();
        await webhooks.close();
      }
    });
  }
});

/** The subjects are the registry's providers and two shapes of the tests' own: none is left out of the table. */
describe('the shared adapter table covers', () => {
  it('every built-in provider, several events in one delivery, and an answer that is not JSON', () => {
    const names = SUBJECTS.map((s: Subject) => s.name);
    expect(names).to.include.members(['cybersource', 'tokenex', 'ni', 'firstoken', 'checkout']);
    expect(SUBJECTS.some((s) => s.events > 1)).to.equal(true);
    expect(TRANSPORTS.map((t) => t.name)).to.deep.equal(['Express 5', 'Express 4', 'Fastify 5', 'fetch handler']);
  });
});
