import type { IncomingMessage, ServerResponse } from 'node:http';

const ANSWER = JSON.stringify({ ok: true });
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(ANSWER) };

/** What the floor rows do by hand: read the body, `JSON.parse` it, answer 200 (400 if it is not JSON). */
export function readParseAnswer(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, HEADERS).end(ANSWER);
  });
}
