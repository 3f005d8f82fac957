// Run inside a private mount namespace whose /dev/shm is a 64 KiB tmpfs: creating a
// 1 MiB store must fail with E_NOSPC. Prints the code (or "created").
import { SharedStore } from '@shmstate/core';

try {
  const store = SharedStore.create('nospc', { initial: {}, capacity: 1 << 20 });
  store.close();
  console.log('created');
} catch (err) {
  console.log(err.code ?? String(err));
}
