/** Row "express": an Express app reading the body by hand, JSON.parse, res.end. The floor inside Express. */
import { createServer } from 'node:http';
import express from 'express';
import { PATH } from '../config';
import { serve } from './serve';

const ANSWER = JSON.stringify({ ok: true });
const app = express();
app.post(PATH, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.status(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(ANSWER) }).end(ANSWER);
  });
});
serve(createServer(app));
