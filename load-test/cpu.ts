/**
 * CPU time of the whole local pipeline: this process (kinesalite, the consumers, the load
 * generator) and every process below it (dynalite, fauxqs), read from `/proc/<pid>/stat` (user +
 * system time, https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html). A figure that does not
 * depend on idle cores, unlike latency on a shared machine. Linux only; elsewhere `available` is false.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ; 100 on every Linux platform Node runs on). */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  pid: number;
  /** The command's basename and its script, e.g. `node dynalite-server.js`. */
  name: string;
  /** User + system CPU seconds since the process started. */
  seconds: number;
}

/** CPU seconds per process of the tree under `rootPid` (itself included). */
export function processTreeCpu(rootPid = process.pid): ProcessCpu[] {
  const found: ProcessCpu[] = [];
  const visit = (pid: number) => {
    const cpu = readProcessCpu(pid);
    if (cpu === undefined) return;
    found.push(cpu);
    for (const child of childrenOf(pid)) visit(child);
  };
  visit(rootPid);
  return found;
}

function readProcessCpu(pid: number): ProcessCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = argv.slice(1).find((arg) => !arg.startsWith('-'));
    const name = pid === process.pid ? 'this process (kinesalite, consumers, load generator)' : [argv[0]?.split('/').pop(), script?.split('/').pop()].filter(Boolean).join(' ');
    return { pid, name, seconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

export interface CpuUsage {
  /** Total CPU seconds over every process of the tree between `start()` and `stop()`. */
  seconds: number;
  wallSeconds: number;
  /** Per process (by name), CPU seconds in the interval. */
  byProcess: Record<string, number>;
}

/** Measures the process tree's CPU over an interval; processes that start or end inside it count from 0 / up to their last reading. */
export class CpuMeter {
  private readonly startedAt = new Map<number, ProcessCpu>();
  private readonly lastSeen = new Map<number, ProcessCpu>();
  private startedMs = 0;
  private timer: NodeJS.Timeout | undefined;

  get available(): boolean {
    return readProcessCpu(process.pid) !== undefined;
  }

  start(): void {
    this.startedMs = Date.now();
    for (const cpu of processTreeCpu()) this.startedAt.set(cpu.pid, cpu);
    // Sample now and then so a process that exits before stop() still counts up to its last reading.
    this.timer = setInterval(() => this.sample(), 5_000);
    this.timer.unref();
  }

  stop(): CpuUsage {
    clearInterval(this.timer);
    this.sample();
    const byProcess: Record<string, number> = {};
    let seconds = 0;
    for (const [pid, last] of this.lastSeen) {
      const used = last.seconds - (this.startedAt.get(pid)?.seconds ?? 0);
      byProcess[last.name] = (byProcess[last.name] ?? 0) + used;
      seconds += used;
    }
    return { seconds, wallSeconds: (Date.now() - this.startedMs) / 1000, byProcess };
  }

  private sample(): void {
    for (const cpu of processTreeCpu()) this.lastSeen.set(cpu.pid, cpu);
  }
}
