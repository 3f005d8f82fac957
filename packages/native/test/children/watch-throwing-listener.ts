// A listener that throws on every call next to one that counts: the watcher must keep
// delivering. Prints "ready", then "seen <n>" per change seen by the counting listener;
// after argv[3] changes prints the number of uncaught listener errors and stops.
import { Segment } from '../../src/index';

const [name, countArg] = process.argv.slice(2) as [string, string];
const wanted = Number(countArg);
let uncaught = 0;
process.on('uncaughtException', (error) => {
  if (error.message === 'listener failure') uncaught += 1;
  else throw error;
});
const segment = Segment.open(name);
let last = segment.version;
let seen = 0;
const throwing = segment.watch(() => {
  throw new Error('listener failure');
});
const counting = segment.watch(() => {
  if (segment.version === last) return;
  last = segment.version;
  seen += 1;
  console.log(`seen ${seen}`);
  if (seen === wanted) {
    throwing.stop();
    counting.stop();
    segment.close();
    // Listener errors are rethrown on the next tick: report after they have surfaced.
    setImmediate(() => console.log(`uncaught ${uncaught}`));
  }
});
console.log('ready');
