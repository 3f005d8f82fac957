/**
 * Makes a freshly created store look as a build before path doorbells made it: compatible
 * feature bit 1 (DOORBELL_PATHS, docs/protocol.md) cleared and the header checksum
 * (CRC32C of bytes 8..507, at 508) sealed again, so subscribers that register after this
 * bind abstract doorbell sockets. For benchmarks that compare the two kinds in one build.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const COMPAT_AT = 56;
const DOORBELL_PATHS = 2; // bit 1, in the low byte of the little-endian u64
const CHECKSUM_AT = 508;

const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32c(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function asOlderCreatorMadeIt(name) {
  const fd = openSync(`/dev/shm/shmstate.${name}`, 'r+');
  try {
    const fixed = Buffer.alloc(512);
    readSync(fd, fixed, 0, 512, 0);
    fixed[COMPAT_AT] &= ~DOORBELL_PATHS;
    fixed.writeUInt32LE(crc32c(fixed.subarray(8, CHECKSUM_AT)), CHECKSUM_AT);
    writeSync(fd, fixed, COMPAT_AT, 1, COMPAT_AT);
    writeSync(fd, fixed, CHECKSUM_AT, 4, CHECKSUM_AT);
  } finally {
    closeSync(fd);
  }
}
