/**
 * One server under test in its own process: `node --require tsx/cjs bench/servers/<name>.ts`, waited for until it
 * prints `listening <port>`, asked for its memory figures over IPC, stopped (and killed if it does not stop).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './config';
import type { ServerStats } from './servers/serve';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const STATS_TIMEOUT_MS = 5_000;

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Memory figures: peak RSS from /proc/<pid>/status VmHWM where there is one, else the process's own getrusage. */
  stats(): Promise<ServerStats & { readonly peakRss: number }>;
  /** Its last lines of stderr (errors it reported). */
  stderr(): string;
  stop(): Promise<void>;
}

/** VmHWM (peak resident set) of a live process, in bytes; `undefined` off Linux. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)\s+kB/m);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** `BENCH_CPU_PROFILE=<dir>`: every server writes a V8 CPU profile there when it stops (`--cpu-prof`). */
const profileArgs = () => (process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []);

export function startServer(script: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...profileArgs(), ...nodeArgs, '--require', 'tsx/cjs', join(__dirname, script)], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env },
  });
  let errText = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { errText = (errText + chunk).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not print "listening <port>" within ${START_TIMEOUT_MS / 1000} s\n${errText}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before listening\n${errText}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = out.match(/listening (\d+)/);
      if (!match) return;
      clearTimeout(timer);
      out = '';
      resolve({
        child,
        port: Number(match[1]),
        stderr: () => errText.trim(),
        stats: () => new Promise((resolveStats, rejectStats) => {
          const statsTimer = setTimeout(() => { child.off('message', onMessage); rejectStats(new Error(`${script}: no stats within ${STATS_TIMEOUT_MS} ms`)); }, STATS_TIMEOUT_MS);
          const onMessage = (message: ServerStats) => {
            if (message?.type !== 'stats') return;
            clearTimeout(statsTimer);
            child.off('message', onMessage);
            resolveStats({ ...message, peakRss: peakRssOf(child.pid!) ?? message.maxRss });
          };
          child.on('message', onMessage);
          child.send({ type: 'stats' });
        }),
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          if (child.connected) child.send({ type: 'stop' });
          else child.kill('SIGTERM');
          const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
          if (await Promise.race([exited.then(() => 'exited' as const), timeout]) === 'timeout') {
            child.kill('SIGKILL');
            await exited;
          }
        },
      });
    });
  });
}
