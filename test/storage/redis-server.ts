import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparePort, waitFor } from './redis-cluster';

/** A private redis-server on a spare loopback port, for tests that change its settings or fill its memory. */
export interface LocalRedis {
  readonly port: number;
  readonly url: string;
  /** Run redis-cli against it; answers its output, trimmed. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

/** Start `redis-server` with `args` (such as `--maxmemory 2mb`); nothing is saved to disk. */
export async function startRedis(args: readonly string[] = []): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-redis-'));
  const port = await sparePort();
  const server = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...args,
  ], { stdio: 'ignore' });
  const cli = (...cliArgs: string[]) => spawnSync('redis-cli', ['-p', String(port), ...cliArgs], { encoding: 'utf8', timeout: 20_000 }).stdout.trim();
  const stop = async () => {
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGKILL');
    });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => cli('ping') === 'PONG', 10_000, 'redis-server to start');
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `redis://127.0.0.1:${port}`, cli, stop };
}
