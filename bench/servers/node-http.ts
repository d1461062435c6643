/** Row "node:http": bare Node `http`, reading the body, JSON.parse, 200. The floor. */
import { createServer } from 'node:http';
import { serve } from './serve';

const ANSWER = JSON.stringify({ ok: true });

serve(createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(ANSWER) }).end(ANSWER);
  });
}));
