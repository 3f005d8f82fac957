/* CRC32C: known vectors on both paths, the tables, and hardware == portable everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "crc32c_table.h"
#include "harness.h"

static uint32_t bitwise(const unsigned char* p, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

static void known_vectors_on_every_path(void) {
  static const char check[] = "123456789";
  CHECK(shmstate_crc32c(check, 9) == 0xE3069283u);
  CHECK(shmstate_crc32c_portable(check, 9) == 0xE3069283u);
  CHECK(shmstate_crc32c(check, 0) == 0);
  /* RFC 3720 B.4: 32 bytes of zeros, of 0xFF, and 0..31 ascending. */
  unsigned char buf[32];
  memset(buf, 0, sizeof buf);
  CHECK(shmstate_crc32c_portable(buf, 32) == 0x8A9136AAu);
  memset(buf, 0xFF, sizeof buf);
  CHECK(shmstate_crc32c_portable(buf, 32) == 0x62A8AB43u);
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
  CHECK(shmstate_crc32c_portable(buf, 32) == 0x46DD794Eu);
  if (shmstate_crc32c_hardware_available()) {
    CHECK(shmstate_crc32c_hardware(check, 9) == 0xE3069283u);
    CHECK(shmstate_crc32c_hardware(buf, 32) == 0x46DD794Eu);
  } else {
    printf("    (no SSE4.2 on this CPU: hardware path not exercised)\n");
  }
}

static void tables_match_the_bitwise_definition(void) {
  for (int b = 0; b < 256; b++) {
    uint32_t c = (uint32_t)b;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    CHECK(shmstate_crc32c_table[0][b] == c);
    for (int t = 1; t < 8; t++) {
      uint32_t prev = shmstate_crc32c_table[t - 1][b];
      if (!CHECK(shmstate_crc32c_table[t][b] ==
                 ((prev >> 8) ^ shmstate_crc32c_table[0][prev & 0xff])))
        return;
    }
  }
}

static void every_path_agrees_on_every_length_and_alignment(void) {
  unsigned char* buf = malloc(4096 + 8);
  srand(12345);
  for (size_t i = 0; i < 4096 + 8; i++) buf[i] = (unsigned char)rand();
  for (size_t offset = 0; offset < 8; offset++) {
    for (size_t len = 0; len <= 300; len++) {
      uint32_t want = bitwise(buf + offset, len);
      if (!CHECK(shmstate_crc32c_portable(buf + offset, len) == want)) goto out;
      if (!CHECK(shmstate_crc32c(buf + offset, len) == want)) goto out;
      if (shmstate_crc32c_hardware_available() &&
          !CHECK(shmstate_crc32c_hardware(buf + offset, len) == want))
        goto out;
    }
  }
  CHECK(shmstate_crc32c(buf, 4096) == bitwise(buf, 4096));
  CHECK(shmstate_crc32c_portable(buf, 4096) == bitwise(buf, 4096));
out:
  free(buf);
}

int main(void) {
  static const test_case cases[] = {
      {"known vectors on every path", known_vectors_on_every_path},
      {"tables match the bitwise definition", tables_match_the_bitwise_definition},
      {"every path agrees on every length and alignment",
       every_path_agrees_on_every_length_and_alignment},
  };
  return harness_run("crc32c", cases, sizeof cases / sizeof cases[0]);
}
