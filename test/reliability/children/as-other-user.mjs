// Run as a second user (second-uid.test.ts starts it through setpriv as uid/gid 65534).
// Usage: as-other-user.mjs <name> <action>...; each action prints one JSON line
// {action, uid, code, message, created}: code is "ok" or the error's stable code.
//   open            Segment.open(name)
//   open-or-create  Segment.openOrCreate(name, capacity 64)
//   create          Segment.create(name, mode 0644, initial {"squatter":true})
//   symlink:<path>  plants a symlink under the name pointing at <path>
import { symlinkSync } from 'node:fs';
import { Segment } from '@shmstate/native';

const [name, ...actions] = process.argv.slice(2);
const options = { capacity: 64, initial: Buffer.from('{"squatter":true}') };

function run(action) {
  if (action === 'open') {
    Segment.open(name).close();
    return {};
  }
  if (action === 'open-or-create') {
    const { segment, created } = Segment.openOrCreate(name, options);
    segment.close();
    return { created };
  }
  if (action === 'create') {
    // 0644: readable by everyone, so only shmstate's owner check can refuse it to root.
    Segment.create(name, { ...options, mode: 0o644 }).close();
    return { created: true };
  }
  if (action.startsWith('symlink:')) {
    symlinkSync(action.slice('symlink:'.length), `/dev/shm/shmstate.${name}`);
    return {};
  }
  throw new Error(`unknown action ${action}`);
}

for (const action of actions) {
  const uid = process.getuid();
  try {
    console.log(JSON.stringify({ action, uid, code: 'ok', ...run(action) }));
  } catch (err) {
    console.log(JSON.stringify({ action, uid, code: err.code ?? 'thrown', message: err.message }));
  }
}
