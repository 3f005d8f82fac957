// Run under a low RLIMIT_NOFILE (no-descriptors.test.ts starts it through prlimit).
// Usage: open-without-descriptors.mjs <existing name> <fresh name> <handles>.
// Uses up every descriptor, then tries Segment.open and Segment.create; frees them and
// opens up to <handles> handles to the segment at once, until an open fails. Prints one
// JSON line.
import { openSync, closeSync } from 'node:fs';
import { Segment } from '@shmstate/native';

const [name, fresh, handles] = process.argv.slice(2);

function codeOf(fn) {
  try {
    fn().close();
    return { code: 'ok' };
  } catch (err) {
    return { code: err.code ?? 'thrown', message: err.message };
  }
}

// Open and close once first: the addon is loaded (dlopen needs a descriptor) before the
// descriptors run out.
Segment.open(name).close();
const held = [];
let exhausted = '';
try {
  for (;;) held.push(openSync('/dev/null', 'r'));
} catch (err) {
  exhausted = err.code;
}
const open = codeOf(() => Segment.open(name));
const create = codeOf(() => Segment.create(fresh, { capacity: 64, initial: Buffer.from('{}') }));
for (const fd of held) closeSync(fd);

// An open handle holds one descriptor, the lock of its attach entry (liveness comes from the
// kernel): the handles that fit are open at once, and the next open is a clean E_LIMIT.
const segments = [];
let opened = 0;
let stopped = { code: 'ok' };
try {
  for (let i = 0; i < Number(handles); i += 1) segments.push(Segment.open(name));
} catch (err) {
  stopped = { code: err.code ?? 'thrown', message: err.message };
} finally {
  opened = segments.length;
  for (const segment of segments) segment.close();
}
const again = codeOf(() => Segment.open(name));
console.log(JSON.stringify({ exhausted, held: held.length, open, create, opened, stopped, again }));
