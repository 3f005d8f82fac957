// Run under a low RLIMIT_NOFILE (no-descriptors.test.ts starts it through prlimit).
// Usage: open-without-descriptors.mjs <existing name> <fresh name> <handles>.
// Uses up every descriptor, then tries Segment.open and Segment.create; frees them and
// opens <handles> handles to the segment at once. Prints one JSON line.
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

// An open segment holds no descriptor (its mapping keeps it alive), so far more handles
// than the limit can be open at once.
const segments = [];
let opened = 0;
try {
  for (let i = 0; i < Number(handles); i += 1) segments.push(Segment.open(name));
} finally {
  opened = segments.length;
  for (const segment of segments) segment.close();
}
console.log(JSON.stringify({ exhausted, held: held.length, open, create, opened }));
