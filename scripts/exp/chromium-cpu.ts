/**
 * CPU time of one Chromium launched by the experiments in this folder: the processes whose
 * command line carries `tag` (an argument the launch adds) and their descendants, read from /proc
 * in 100 Hz ticks — per process (chromiumCpu) or per thread ("pid/tid comm", threadTicks).
 */
import { readdirSync, readFileSync } from 'node:fs';

function mine(tag: string): Set<number> {
  const procs = new Map<number, { ppid: number; cmd: string }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(pid), { ppid: Number(f[1]), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
    } catch {
      // gone
    }
  }
  const out = new Set([...procs].filter(([, p]) => p.cmd.includes(tag)).map(([pid]) => pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of procs) if (!out.has(pid) && out.has(p.ppid)) { out.add(pid); grew = true; }
  }
  return out;
}

const ticksOf = (stat: string) => {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};

/** CPU seconds so far of that browser's processes together. */
export function chromiumCpu(tag: string): number {
  let ticks = 0;
  for (const pid of mine(tag)) {
    try {
      ticks += ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** CPU ticks so far of every thread of that browser, by "pid/tid comm". */
export function threadTicks(tag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of mine(tag)) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        out.set(`${pid}/${tid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`, ticksOf(stat));
      }
    } catch {
      // gone
    }
  }
  return out;
}
