/** Row "express": an Express app reading the body by hand, JSON.parse, res.end. The floor inside Express. */
import { createServer } from 'node:http';
import express from 'express';
import { PATH } from '../config';
import { readParseAnswer } from './read-parse-answer';
import { serve } from './serve';

const app = express();
app.post(PATH, readParseAnswer);
serve(createServer(app));
