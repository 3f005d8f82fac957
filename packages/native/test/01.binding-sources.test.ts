import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';

const packageRoot = join(__dirname, '..');

// The Python extension compiles every csrc/*.c; binding.gyp lists them by hand, so a new
// core file must be added there too or the two hosts would build different cores.
test('binding.gyp compiles every C core source', (t) => {
  const gyp = readFileSync(join(packageRoot, 'binding.gyp'), 'utf8');
  const listed = [...gyp.matchAll(/"csrc\/([^"/]+\.c)"/g)].map((match) => match[1]).sort();
  const present = readdirSync(join(packageRoot, 'csrc'))
    .filter((file) => file.endsWith('.c'))
    .sort();
  t.deepEqual(listed, present);
});
