/*
 * CRC32C with runtime dispatch: the SSE4.2 crc32 instruction where the CPU has it (about
 * 8 bytes per cycle), else slicing-by-8 over lookup tables. Both work on the reflected
 * register with the same initial value and final xor, so they agree bit for bit.
 */
#include "crc32c.h"

#include <string.h>

#include "crc32c_table.h"

/* Little-endian 64-bit load from any alignment (the layout is little-endian only). */
static inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint32_t portable_update(uint32_t crc, const unsigned char* p, size_t len) {
  const uint32_t (*t)[256] = shmstate_crc32c_table;
  while (len >= 8) {
    uint64_t v = load_le64(p) ^ crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return crc;
}

uint32_t shmstate_crc32c_portable(const void* data, size_t len) {
  return ~portable_update(0xFFFFFFFFu, (const unsigned char*)data, len);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

__attribute__((target("sse4.2"))) static uint32_t hardware_update(uint32_t crc,
                                                                  const unsigned char* p,
                                                                  size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    c = __builtin_ia32_crc32di(c, load_le64(p));
    p += 8;
    len -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (len-- > 0) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return c32;
}

int shmstate_crc32c_hardware_available(void) {
  /* libgcc/compiler-rt fill the CPU model in a constructor, before any call can reach here. */
  return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

uint32_t shmstate_crc32c_hardware(const void* data, size_t len) {
  return ~hardware_update(0xFFFFFFFFu, (const unsigned char*)data, len);
}

uint32_t shmstate_crc32c(const void* data, size_t len) {
  return shmstate_crc32c_hardware_available() ? shmstate_crc32c_hardware(data, len)
                                              : shmstate_crc32c_portable(data, len);
}

#else /* no CRC instruction path for this architecture yet */

int shmstate_crc32c_hardware_available(void) { return 0; }

uint32_t shmstate_crc32c_hardware(const void* data, size_t len) {
  return shmstate_crc32c_portable(data, len);
}

uint32_t shmstate_crc32c(const void* data, size_t len) {
  return shmstate_crc32c_portable(data, len);
}

#endif
