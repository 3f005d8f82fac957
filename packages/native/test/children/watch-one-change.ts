// Watches segment argv[2], prints "ready", and on the first change prints the version,
// stops watching and closes. Nothing else holds the event loop: the process must then
// exit on its own.
import { Segment } from '../../src/index';

const [name] = process.argv.slice(2) as [string];
const segment = Segment.open(name);
const start = segment.version;
const handle = segment.watch(() => {
  if (segment.version === start) return;
  console.log(`changed ${segment.version}`);
  handle.stop();
  segment.close();
});
console.log('ready');
