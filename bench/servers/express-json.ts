/** Row "express.json()": what users hand-write: `express.json()`, then `res.json({ ok: true })`. */
import { createServer } from 'node:http';
import express from 'express';
import { PATH } from '../config';
import { serve } from './serve';

const app = express();
app.use(express.json());
app.post(PATH, (_req, res) => {
  res.json({ ok: true });
});
serve(createServer(app));
