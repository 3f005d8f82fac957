// Watches segment argv[2] with no commit, lets the process settle for a second (module
// loading and compilation finish), then prints the CPU time (user + system, microseconds)
// the whole process used over the next argv[3] ms, stops and exits.
import { Segment } from '../../src/index';

const SETTLE_MS = 1000;
const [name, msArg] = process.argv.slice(2) as [string, string];
const segment = Segment.open(name);
let changes = 0;
const handle = segment.watch(() => {
  changes += 1;
});
setTimeout(() => {
  const start = process.cpuUsage();
  setTimeout(() => {
    const used = process.cpuUsage(start);
    handle.stop();
    segment.close();
    console.log(JSON.stringify({ cpuMicros: used.user + used.system, changes }));
  }, Number(msArg));
}, SETTLE_MS);
