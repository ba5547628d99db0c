/**
 * What the benchmarks read from /proc (Linux only): the resident memory and CPU time of a process and
 * its descendants, and the machine they ran on. Bench-only helpers; nothing in the engine uses them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (almost always 100). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process and every process under it (a spawned tool may fork). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // fields[1] is the ppid (field 4 of stat: state is [0], ppid [1]).
    if (fields) parentOf.set(Number(entry), Number(fields[1]));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, parent] of parentOf) if (parent === tree[i] && !tree.includes(pid)) tree.push(pid);
  }
  return tree.filter((pid) => parentOf.has(pid));
}

/** VmRSS in bytes (0 for a process that is gone). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime in seconds (0 for a process that is gone). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of stat, [11] and [12] once the pid and name are dropped.
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0;
}

export interface TreeSample {
  at: number;
  rss: number;
  cpu: number;
}

export function sampleTree(root: number): TreeSample {
  const pids = processTree(root);
  return {
    at: Date.now(),
    rss: pids.reduce((sum, pid) => sum + rssBytes(pid), 0),
    cpu: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
  };
}

/**
 * Samples a named set of processes (each with its descendants) every `everyMs`: peak and latest RSS,
 * and CPU over any interval between two marks.
 */
export class ProcessSampler {
  private readonly samples = new Map<string, TreeSample[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly processes: () => Record<string, number | undefined>) {}

  start(everyMs = 5000): void {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sampleNow(): Record<string, TreeSample> {
    const taken: Record<string, TreeSample> = {};
    for (const [name, pid] of Object.entries(this.processes())) {
      if (pid === undefined) continue;
      const sample = name === 'bench' ? { at: Date.now(), rss: rssBytes(pid), cpu: cpuSeconds(pid) } : sampleTree(pid);
      if (sample.rss === 0) continue; // gone
      taken[name] = sample;
      let list = this.samples.get(name);
      if (!list) this.samples.set(name, (list = []));
      list.push(sample);
    }
    return taken;
  }

  names(): string[] {
    return [...this.samples.keys()];
  }

  peakRss(name: string, from = 0, to = Infinity): number {
    return Math.max(0, ...(this.samples.get(name) ?? []).filter((s) => s.at >= from && s.at <= to).map((s) => s.rss));
  }

  latest(name: string): TreeSample | undefined {
    const list = this.samples.get(name);
    return list?.[list.length - 1];
  }

  /** CPU between the first sample at or after `from` and the last at or before `to`, as % of one core. */
  cpuPercent(name: string, from = 0, to = Infinity): number | undefined {
    const inRange = (this.samples.get(name) ?? []).filter((s) => s.at >= from && s.at <= to);
    if (inRange.length < 2) return undefined;
    const first = inRange[0]!;
    const last = inRange[inRange.length - 1]!;
    const wall = (last.at - first.at) / 1000;
    return wall > 0 ? ((last.cpu - first.cpu) / wall) * 100 : undefined;
  }
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  let cores = cpus().length;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpuModel;
    cores = info.split('\n').filter((line) => /^processor\s*:/.test(line)).length || cores;
  } catch {
    // not Linux: os.cpus() it is
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // ignore
  }
  return { cpuModel, cores, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, kernel };
}

export function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

export const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The whole machine's CPU time so far (/proc/stat), busy and total, in seconds summed over all cores. */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
