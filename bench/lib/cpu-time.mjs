/**
 * CPU time a process has used, from /proc: utime + stime of /proc/<pid>/stat (clock ticks,
 * usually 10 ms: coarse) and the sum of /proc/<pid>/task/<tid>/schedstat (nanoseconds on a
 * CPU, every thread; precise enough to see a 100 ms timer wake-up).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const TICKS_PER_SECOND =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export function cpuTime(pid) {
  // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  let scheduledNs = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      scheduledNs += Number(
        fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0],
      );
    } catch {
      // A thread that ended between readdir and read.
    }
  }
  return { statSeconds: ticks / TICKS_PER_SECOND, scheduledSeconds: scheduledNs / 1e9 };
}
