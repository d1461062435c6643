import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';

/** A local three-node Redis Cluster (masters only) on spare loopback ports, for the tests that need one. */
export interface LocalCluster {
  readonly nodes: readonly { host: string; port: number }[];
  client(): Cluster;
  stop(): Promise<void>;
}

/** A loopback port free at this moment. */
export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Why a local cluster cannot be started here, or `undefined` when it can. */
export function clusterUnavailable(): string | undefined {
  for (const tool of ['redis-server', 'redis-cli']) {
    const found = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (found.error || found.status !== 0) return `${tool} is not installed (apt-get install redis-server)`;
  }
  return undefined;
}

/** Poll `check` every 50 ms until it answers true, for at most `limitMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-cluster-'));
  const ports = [await sparePort(), await sparePort(), await sparePort()];
  const servers: ChildProcess[] = ports.map((port) => spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
    '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no',
  ], { stdio: 'ignore' }));
  const stop = async () => {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cli = (...args: string[]) => spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 20_000 });
    await waitFor(() => ports.every((port) => cli('-p', String(port), 'ping').stdout.trim() === 'PONG'), 10_000, 'the cluster nodes to start');
    const created = cli('--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes');
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
    await waitFor(() => ports.every((port) => /cluster_state:ok/.test(cli('-p', String(port), 'cluster', 'info').stdout)), 20_000, 'cluster_state:ok');
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return { nodes, client: () => new Cluster(nodes, { lazyConnect: true }), stop };
}
