// Memory and CPU time of a child process, read from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

/** VmRSS (resident) and VmHWM (peak resident) of a process in MB, or undefined when it is gone. */
export function processMemory(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakMb: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms; NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return Number.NaN;
  }
}

/** CPU time of a process and its direct children (e.g. PostgreSQL's postmaster and its backends), in ms. */
export function treeCpuMs(pid: number): number {
  let total = cpuMs(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(raw.slice(raw.lastIndexOf(') ') + 2).split(' ')[1]) === pid) total += cpuMs(Number(entry));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}
