/**
 * CPU time of the store's processes (PostgreSQL's server processes, `redis-server`), read from /proc: what the
 * database spent while a row ran, beside what the server under test spent (its own `process.cpuUsage()`).
 * Off Linux, or without /proc, there is no figure.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** The command names of each store's processes. */
const STORE_COMMANDS: Readonly<Record<string, readonly string[]>> = { postgres: ['postgres'], redis: ['redis-server'] };

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
  return ticksPerSecond;
}

/** CPU time (user + system) of every live process of `store`, by pid, in µs; `undefined` off Linux or for the memory store. */
export function storeCpu(store: string | undefined): Map<number, number> | undefined {
  const commands = store === undefined ? undefined : STORE_COMMANDS[store];
  if (!commands) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const micros = 1e6 / clockTicks();
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // the command name is in parentheses and may hold spaces: the fields after it are counted from its end
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!commands.includes(command)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * micros);
    } catch {
      // the process ended while being read
    }
  }
  return cpu;
}

/** The CPU time the store's processes spent between two readings, in µs (a process started between them counts whole). */
export function storeCpuSpent(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let spent = 0;
  for (const [pid, micros] of after) spent += micros - (before.get(pid) ?? 0);
  return spent;
}
