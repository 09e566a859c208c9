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

/** The fields of /proc/PID/stat after the command name (state first), or undefined when the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of stat's fields, in ms (clock ticks of 10 ms). */
const ticksMs = (fields: string[]): number => (Number(fields[11]) + Number(fields[12])) * (1000 / 100);

/** CPU time (user + system) a process has used so far, in ms; NaN when it is gone. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? ticksMs(fields) : Number.NaN;
}

/**
 * CPU time of a process and its direct children (e.g. PostgreSQL's postmaster and its backends), in ms; a child
 * that ends between the listing and the read counts for nothing.
 */
export function treeCpuMs(pid: number): number {
  let total = cpuMs(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[1]) === pid) total += ticksMs(fields);
  }
  return total;
}
