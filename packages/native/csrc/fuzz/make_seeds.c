/*
 * Writes the seed corpus: real segments of a few shapes (as the segment-bytes target
 * reads them: a flags byte, then the file) and a few step programs for the mutation
 * target. Run by `make fuzz-seeds`; the output is committed under fuzz/corpus/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmstate.h"

static void write_seed(const char* dir, const char* file, const unsigned char* head,
                       size_t head_len, const unsigned char* body, size_t body_len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE* f = fopen(path, "wb");
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  fwrite(head, 1, head_len, f);
  fwrite(body, 1, body_len, f);
  fclose(f);
}

/* A segment of `capacity` after `commits` commits of `len`-byte payloads, saved as a seed. */
static void segment_seed(const char* dir, uint64_t capacity, size_t len, int commits) {
  char name[64], path[128], file[64];
  snprintf(name, sizeof name, "seed_%d_%llu", (int)getpid(), (unsigned long long)capacity);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_create(name, capacity, 0, "{\"seed\":true}", 13, &seg, &err) != 0) {
    fprintf(stderr, "create: %s\n", err.message);
    exit(1);
  }
  unsigned char* payload = malloc(len + 1);
  for (int i = 0; i < commits; i++) {
    size_t n = snprintf((char*)payload, len + 1, "{\"n\":%d,\"pad\":\"", i);
    while (n + 2 < len) payload[n++] = (unsigned char)('a' + i % 26);
    payload[n++] = '"';
    payload[n++] = '}';
    shmstate_segment_commit(seg, payload, n, 0, NULL, &err);
  }
  free(payload);
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  FILE* f = fopen(path, "rb");
  struct stat st;
  stat(path, &st);
  unsigned char* bytes = malloc((size_t)st.st_size);
  if (fread(bytes, 1, (size_t)st.st_size, f) != (size_t)st.st_size) exit(1);
  fclose(f);
  shmstate_segment_close(seg);
  shmstate_segment_unlink(name, NULL);
  for (unsigned char flags = 0; flags < 8; flags += 7) {
    snprintf(file, sizeof file, "cap%llu_len%zu_v%d_f%u", (unsigned long long)capacity, len,
             commits + 1, flags);
    write_seed(dir, file, &flags, 1, bytes, (size_t)st.st_size);
  }
  free(bytes);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <segment_bytes corpus dir> <mutate corpus dir>\n", argv[0]);
    return 2;
  }
  segment_seed(argv[1], 64, 0, 0);
  segment_seed(argv[1], 64, 64, 3);
  segment_seed(argv[1], 1000, 900, 2);
  segment_seed(argv[1], 4096, 3000, 5);
  /* Step programs: capacity byte, then opcodes (see fuzz_mutate_between_reads.c). */
  static const unsigned char read_commit_read[] = {0, 2, 3, 3, 2, 4, 5};
  static const unsigned char poke_seq_odd[] = {4, 1, 0x00, 0x10, 1, 0, 0, 0,
                                               0, 0, 0,    0,    2, 3, 9, 2};
  static const unsigned char poke_version[] = {
      10, 1, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 3, 1, 3, 2, 2, 4};
  static const unsigned char poke_length[] = {2, 3, 5, 1, 0x50, 0x11, 0xff, 0xff, 0, 0,
                                              0, 0, 0, 0, 2,    4,    3,    40,   2};
  static const unsigned char poke_header[] = {1, 0, 16, 0, 7, 4, 0, 8, 0, 9, 4, 2, 3, 1, 2};
  write_seed(argv[2], "read_commit_read", read_commit_read, sizeof read_commit_read, NULL, 0);
  write_seed(argv[2], "poke_seq_odd", poke_seq_odd, sizeof poke_seq_odd, NULL, 0);
  write_seed(argv[2], "poke_version", poke_version, sizeof poke_version, NULL, 0);
  write_seed(argv[2], "poke_length", poke_length, sizeof poke_length, NULL, 0);
  write_seed(argv[2], "poke_header", poke_header, sizeof poke_header, NULL, 0);
  return 0;
}
