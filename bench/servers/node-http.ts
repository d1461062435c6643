/** Row "node:http": bare Node `http`, reading the body, JSON.parse, 200. The floor. */
import { createServer } from 'node:http';
import { readParseAnswer } from './read-parse-answer';
import { serve } from './serve';

serve(createServer(readParseAnswer));
