/*
 * Writes the seed corpus: real layout-2 segments of a few shapes (as the segment-bytes
 * target reads them: a flags byte, an optional edit list, then the file), with and without
 * a patch ring, some with edits that reach each check of the header, the region table, the
 * ring header and the ring's entries, and step programs for the mutation target. Offsets
 * come from layout.h and from the region tables of segments created here (never from a
 * copy of header.c's arithmetic), so a layout change regenerates meaningful seeds. Run by
 * `make fuzz-seeds`; the output is committed under fuzz/corpus/.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
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
  if (body_len > 0) fwrite(body, 1, body_len, f);
  fclose(f);
}

/* ---- segment-bytes seeds ---- */

/* The bytes of segment `name` (open as `seg`), which this closes and unlinks. */
static unsigned char* file_bytes(shmstate_segment* seg, const char* name, size_t* size) {
  char path[128];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  FILE* f = fopen(path, "rb");
  struct stat st;
  if (f == NULL || stat(path, &st) != 0) exit(1);
  unsigned char* bytes = malloc((size_t)st.st_size);
  if (fread(bytes, 1, (size_t)st.st_size, f) != (size_t)st.st_size) exit(1);
  fclose(f);
  shmstate_segment_close(seg);
  shmstate_segment_unlink(name, NULL);
  *size = (size_t)st.st_size;
  return bytes;
}

/* Where a created segment put its regions, read from its own region table (so that no
 * offset here is a copy of header.c's arithmetic): by kind, the entry's index in the table
 * (-1: not listed), offset and size. */
typedef struct seg_layout {
  uint64_t size; /* the file's bytes */
  uint32_t count;
  int index[SHMSTATE_REGION_MAX];
  uint64_t offset[SHMSTATE_REGION_MAX], bytes[SHMSTATE_REGION_MAX];
} seg_layout;

static uint64_t get64(const unsigned char* bytes, size_t at) {
  uint64_t v;
  memcpy(&v, bytes + at, 8);
  return v;
}

static seg_layout layout_of(const unsigned char* bytes, size_t size) {
  seg_layout l;
  memset(&l, 0, sizeof l);
  l.size = size;
  memcpy(&l.count, bytes + offsetof(shmstate_header_fixed, region_count), 4);
  for (unsigned k = 0; k < SHMSTATE_REGION_MAX; k++) l.index[k] = -1;
  for (uint32_t i = 0; i < l.count && i < SHMSTATE_REGION_MAX; i++) {
    size_t at = offsetof(shmstate_header_fixed, regions) + i * sizeof(shmstate_region);
    uint32_t kind;
    memcpy(&kind, bytes + at + offsetof(shmstate_region, kind), 4);
    if (kind >= SHMSTATE_REGION_MAX) continue;
    l.index[kind] = (int)i;
    l.offset[kind] = get64(bytes, at + offsetof(shmstate_region, offset));
    l.bytes[kind] = get64(bytes, at + offsetof(shmstate_region, size));
  }
  return l;
}

/* The region of `kind` must be listed: the seeds below aim at it. */
static unsigned need(const seg_layout* l, unsigned kind) {
  if (l->index[kind] < 0) {
    fprintf(stderr, "make_seeds: the created segment lists no region of kind %u\n", kind);
    exit(1);
  }
  return (unsigned)l->index[kind];
}

/* The bytes of a segment of `capacity` after `commits` commits of `len`-byte payloads. */
static unsigned char* segment_bytes(uint64_t capacity, size_t len, int commits, size_t* size) {
  char name[64];
  snprintf(name, sizeof name, "seed_%d_%llu", (int)getpid(), (unsigned long long)capacity);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_create(name, capacity, 0, "{\"seed\":true}", 13, &seg, &err) != 0) {
    fprintf(stderr, "create: %s\n", err.message);
    exit(1);
  }
  unsigned char* payload = malloc(len + 1);
  for (int i = 0; i < commits; i++) {
    size_t n = (size_t)snprintf((char*)payload, len + 1, "{\"n\":%d,\"pad\":\"", i);
    while (n + 2 < len) payload[n++] = (unsigned char)('a' + i % 26);
    payload[n++] = '"';
    payload[n++] = '}';
    shmstate_segment_commit(seg, payload, n, 0, NULL, &err);
  }
  free(payload);
  return file_bytes(seg, name, size);
}

/* The bytes of a segment of `capacity` with a 4-entry ring (patches of up to 128 bytes)
 * after `patches` patch commits ("{\"op\":i}" each, with the state when a checkpoint is
 * due): checkpoint 1 and patches 2..4 for 3 patches, checkpoint 5 and patches 6..7 for 6. */
static unsigned char* ring_segment_bytes(uint64_t capacity, int patches, size_t* size) {
  char name[64];
  snprintf(name, sizeof name, "seed_%d_ring%llu", (int)getpid(), (unsigned long long)capacity);
  shmstate_create_options opts = {0};
  opts.capacity = capacity;
  opts.initial_version = 1;
  opts.ring_entries = 4;
  opts.ring_patch_max = 100;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_create_with(name, &opts, "{\"seed\":true}", 13, &seg, &err) != 0) {
    fprintf(stderr, "create: %s\n", err.message);
    exit(1);
  }
  for (int i = 0; i < patches; i++) {
    char patch[32], state[32];
    int n = snprintf(patch, sizeof patch, "{\"op\":%d}", i);
    int m = snprintf(state, sizeof state, "{\"state\":%d}", i);
    uint64_t v = shmstate_segment_version(seg);
    int due = 0;
    shmstate_segment_patch_plan(seg, v, (size_t)n, (size_t)m, &due, &err);
    if (shmstate_segment_commit_patch(seg, patch, (size_t)n, due ? state : NULL, (size_t)m, v, NULL,
                                      &err) != 0) {
      fprintf(stderr, "patch: %s\n", err.message);
      exit(1);
    }
  }
  return file_bytes(seg, name, size);
}

/* A ring segment saved as is (flags 0) and with every reseal on (flags 23). */
static void ring_seed(const char* dir, uint64_t capacity, int patches) {
  size_t size;
  unsigned char* bytes = ring_segment_bytes(capacity, patches, &size);
  char file[64];
  static const unsigned char all_flags[2] = {0, 23};
  for (int i = 0; i < 2; i++) {
    snprintf(file, sizeof file, "ring_cap%llu_patches%d_f%u", (unsigned long long)capacity, patches,
             all_flags[i]);
    write_seed(dir, file, &all_flags[i], 1, bytes, size);
  }
  free(bytes);
}

/* A segment of `capacity` after `commits` commits of `len`-byte payloads, saved as is
 * (flags 0) and with every reseal on (flags 7). */
static void segment_seed(const char* dir, uint64_t capacity, size_t len, int commits) {
  size_t size;
  unsigned char* bytes = segment_bytes(capacity, len, commits, &size);
  char file[64];
  for (unsigned char flags = 0; flags < 8; flags += 7) {
    snprintf(file, sizeof file, "cap%llu_len%zu_v%d_f%u", (unsigned long long)capacity, len,
             commits + 1, flags);
    write_seed(dir, file, &flags, 1, bytes, size);
  }
  free(bytes);
}

/* Edit fields of the segment-bytes target (fuzz_segment_bytes.c, apply_edit). */
enum {
  E_LAYOUT = 0,
  E_COMPAT = 7,
  E_INCOMPAT = 8,
  E_REGION_COUNT = 9,
  E_KIND = 10,
  E_OFFSET = 11,
  E_SIZE = 12,
  E_VERSION_FIELD = 13,
  E_CURRENT_SLOT = 14,
  E_SLOT = 15
};
#define REGION(entry) ((entry) << 4) /* the entry of a region edit */
#define SLOT_SEQ(slot) (E_SLOT | (slot) << 4)
#define SLOT_VERSION(slot) (E_SLOT | (slot) << 4 | 1 << 5)
/* Ring edits: a ring header field (0 entry_count, 1 entry_stride, 2 state_length, 3
 * patch_bytes), or a field (0 seq, 1 version, 2 length, 3 checksum) of entry i. */
#define RING_HEADER(field) (0x80 | (field))
#define RING_ENTRY(i, field) (0x80 | 0x40 | (i) << 2 | (field))

typedef struct edit {
  unsigned char field;
  uint64_t value;
} edit;

/* The segments the edit seeds start from: a 1000-byte-capacity segment after two commits
 * (slot 0 holds version 2, slot 1 version 3, the current one), and one with a 4-entry ring
 * after three patches (checkpoint 1 in slot 1, patches 2..4). */
static unsigned char* edit_base(int ring, size_t* size) {
  return ring ? ring_segment_bytes(1000, 3, size) : segment_bytes(1000, 900, 2, size);
}

/* A seed of an edit base, changed by `body` (if not NULL) before it is saved, with the
 * given edits and flags 15: edit, then reseal (31 for the ring: the entries resealed too). */
static void edited_seed_of(const char* dir, const char* file, int ring,
                           void (*body)(unsigned char*, const seg_layout*), const edit* edits,
                           size_t count) {
  size_t size;
  unsigned char* bytes = edit_base(ring, &size);
  seg_layout l = layout_of(bytes, size);
  if (body != NULL) body(bytes, &l);
  unsigned char head[2 + 16 * 9];
  if (count > 16) exit(1);
  head[0] = ring ? 31 : 15;
  head[1] = (unsigned char)count;
  for (size_t i = 0; i < count; i++) {
    head[2 + i * 9] = edits[i].field;
    memcpy(head + 3 + i * 9, &edits[i].value, 8);
  }
  write_seed(dir, file, head, 2 + count * 9, bytes, size);
  free(bytes);
}

#define EDITED_OF(dir, file, ring, body, ...)                                     \
  do {                                                                            \
    const edit list_[] = {__VA_ARGS__};                                           \
    edited_seed_of(dir, file, ring, body, list_, sizeof list_ / sizeof list_[0]); \
  } while (0)
#define EDITED(dir, file, ...) EDITED_OF(dir, file, 0, NULL, __VA_ARGS__)
#define RING_EDITED(dir, file, ...) EDITED_OF(dir, file, 1, NULL, __VA_ARGS__)

/* Compatible bit 0 cleared while the table still lists ATTACH (the header resealed by the
 * seed's flags): a segment made wrong, which an opener refuses. */
static void clear_attach_bit(unsigned char* bytes, const seg_layout* l) {
  (void)l;
  uint64_t compat = get64(bytes, offsetof(shmstate_header_fixed, compat_features));
  compat &= ~SHMSTATE_COMPAT_ATTACH;
  memcpy(bytes + offsetof(shmstate_header_fixed, compat_features), &compat, 8);
}

/* Garbage in every attach entry, and after them to the end of the file (the seed grows the
 * region over it): USED and FREE states with any generation, tokens, pids,
 * roles and languages no enum names, reserved bytes set. Nobody holds an entry's lock. */
static void scribble_attach(unsigned char* bytes, const seg_layout* l) {
  uint64_t at = l->offset[SHMSTATE_REGION_ATTACH];
  uint64_t n = (l->size - at) / SHMSTATE_ATTACH_ENTRY_SIZE; /* to the file's end */
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint64_t i = 0; i < n; i++) {
    unsigned char* e = bytes + at + i * SHMSTATE_ATTACH_ENTRY_SIZE;
    for (unsigned w = 0; w < SHMSTATE_ATTACH_ENTRY_SIZE; w += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      memcpy(e + w, &x, 8);
    }
    /* Most entries USED (state 1), some in the states 2 and 3 no writer stores. */
    uint64_t control = (x & ~3ull) | (i % 8 == 7 ? 2 + i % 2 : 1);
    if (i % 5 == 0) control = UINT64_MAX; /* state 3, generation all ones */
    memcpy(e + offsetof(shmstate_attach_entry, control), &control, 8);
  }
}

static void segment_bytes_seeds(const char* dir) {
  segment_seed(dir, 64, 0, 0);
  segment_seed(dir, 64, 64, 3);
  segment_seed(dir, 1000, 900, 2);
  segment_seed(dir, 4096, 3000, 5);
  /* The edit bases' layouts, as their creator laid them out (not as this file assumes). */
  size_t size;
  unsigned char* bytes = edit_base(0, &size);
  const seg_layout plain = layout_of(bytes, size);
  free(bytes);
  bytes = edit_base(1, &size);
  const seg_layout ringed = layout_of(bytes, size);
  free(bytes);
  need(&plain, SHMSTATE_REGION_SLOT0);
  const unsigned slot1 = need(&plain, SHMSTATE_REGION_SLOT1);
  const unsigned attach = need(&plain, SHMSTATE_REGION_ATTACH);
  const unsigned ring = need(&ringed, SHMSTATE_REGION_PATCH_RING);
  const unsigned ring_attach = need(&ringed, SHMSTATE_REGION_ATTACH);
  if (plain.count >= SHMSTATE_REGION_MAX || slot1 == 0) exit(1);
  /* The end of the last region, where an extra one fits (checked below). */
  uint64_t end = 0;
  for (unsigned k = 0; k < SHMSTATE_REGION_MAX; k++) {
    if (plain.index[k] >= 0 && plain.offset[k] + plain.bytes[k] > end)
      end = plain.offset[k] + plain.bytes[k];
  }
  uint64_t spare = plain.size - end < 1024 ? plain.size - end : 1024;
  if (spare < SHMSTATE_REGION_ALIGN) exit(1);

  EDITED(dir, "edit_compat_bit", {E_COMPAT, 17});
  EDITED(dir, "edit_incompat_bit", {E_INCOMPAT, 5});
  EDITED(dir, "edit_layout_1", {E_LAYOUT, 1});
  EDITED(dir, "edit_region_count_9", {E_REGION_COUNT, 9});
  /* The table cut before SLOT1 (and whatever follows it). */
  EDITED(dir, "edit_no_slot1", {E_REGION_COUNT, slot1});
  /* A region of a kind this build does not know, after the last one: ignored. */
  EDITED(dir, "edit_unknown_kind", {E_KIND | REGION(plain.count), 42},
         {E_OFFSET | REGION(plain.count), end}, {E_SIZE | REGION(plain.count), spare},
         {E_REGION_COUNT, plain.count + 1});
  EDITED(dir, "edit_overlap",
         {E_OFFSET | REGION(slot1), plain.offset[SHMSTATE_REGION_SLOT0] + SHMSTATE_REGION_ALIGN});
  EDITED(dir, "edit_outside", {E_OFFSET | REGION(slot1), plain.size - SHMSTATE_REGION_ALIGN});
  EDITED(dir, "edit_duplicate_slot0", {E_KIND | REGION(slot1), SHMSTATE_REGION_SLOT0});
  EDITED(dir, "edit_current_slot_7", {E_CURRENT_SLOT, 7});
  EDITED(dir, "edit_current_slot_lags", {E_CURRENT_SLOT, 0});
  EDITED(dir, "edit_current_seq_odd", {SLOT_SEQ(1), 7});
  EDITED(dir, "edit_version_max", {E_VERSION_FIELD, UINT64_MAX});
  /* The attach table: compatible bit 0 and the ATTACH region must agree, the region must
   * hold an entry, and a reader lists whatever the entries say. */
  EDITED(dir, "edit_attach_bit_without_region", {E_KIND | REGION(attach), 42});
  edited_seed_of(dir, "edit_attach_region_without_bit", 0, clear_attach_bit, NULL, 0);
  EDITED(dir, "edit_attach_region_small",
         {E_SIZE | REGION(attach), SHMSTATE_ATTACH_ENTRY_SIZE / 2});
  EDITED_OF(dir, "edit_attach_entries_garbage", 0, scribble_attach,
            {E_SIZE | REGION(attach), plain.size - plain.offset[SHMSTATE_REGION_ATTACH]});
  /* Ring segments: one before any checkpoint after the first, one across one. */
  ring_seed(dir, 1000, 3);
  ring_seed(dir, 1000, 6);
  ring_seed(dir, 64, 3);
  RING_EDITED(dir, "ring_edit_entry_count_1", {RING_HEADER(0), 1});
  RING_EDITED(dir, "ring_edit_entry_count_5", {RING_HEADER(0), 5});
  RING_EDITED(dir, "ring_edit_stride_100", {RING_HEADER(1), 100});
  RING_EDITED(dir, "ring_edit_geometry_overflow", {RING_HEADER(0), 65536},
              {RING_HEADER(1), 0xFFFFFFC0u});
  RING_EDITED(dir, "ring_edit_patch_bytes", {RING_HEADER(3), UINT64_MAX});
  RING_EDITED(dir, "ring_edit_entry_version", {RING_ENTRY(3, 1), 9});
  RING_EDITED(dir, "ring_edit_entry_seq_odd", {RING_ENTRY(2, 0), 7});
  RING_EDITED(dir, "ring_edit_entry_length", {RING_ENTRY(2, 2), UINT64_MAX});
  RING_EDITED(dir, "ring_edit_entry_length_129", {RING_ENTRY(4, 2), 129});
  RING_EDITED(dir, "ring_edit_checkpoint_ahead", {SLOT_VERSION(1), 9});
  RING_EDITED(dir, "ring_edit_checkpoint_lags", {SLOT_VERSION(1), 0});
  RING_EDITED(dir, "ring_edit_region_unknown", {E_KIND | REGION(ring), 42});
  /* A ring region with room for one entry: less than any ring needs. */
  RING_EDITED(dir, "ring_edit_region_small",
              {E_SIZE | REGION(ring), SHMSTATE_RING_HEADER_SIZE + SHMSTATE_RING_ENTRY_MIN});
  RING_EDITED(dir, "ring_edit_incompat_bit", {E_INCOMPAT, 5});
  /* With a ring, ATTACH comes after it: drop it from the table, bit still set. */
  RING_EDITED(dir, "ring_edit_attach_bit_without_region", {E_REGION_COUNT, ring_attach});
  EDITED(dir, "edit_ring_bit_without_region", {E_INCOMPAT, 0});
}

/* ---- mutation-target seeds: step programs (fuzz_mutate_between_reads.c) ---- */

typedef struct program {
  unsigned char bytes[256];
  size_t len;
} program;

static void emit(program* p, const void* bytes, size_t n) {
  if (p->len + n > sizeof p->bytes) exit(1);
  memcpy(p->bytes + p->len, bytes, n);
  p->len += n;
}
static void op(program* p, unsigned char code) { emit(p, &code, 1); }
static void poke8(program* p, uint16_t at, unsigned char value) {
  op(p, 0);
  emit(p, &at, 2);
  emit(p, &value, 1);
}
static void poke64(program* p, uint16_t at, uint64_t value) {
  op(p, 1);
  emit(p, &at, 2);
  emit(p, &value, 8);
}
static void read_step(program* p) { op(p, 2); }
static void commit_step(program* p, unsigned char len17) {
  op(p, 3);
  emit(p, &len17, 1);
}
static void reopen_step(program* p) { op(p, 4); }
static void wait_step(program* p) { op(p, 5); }
static void commit_at_step(program* p, unsigned char jump, unsigned char len17) {
  op(p, 6);
  emit(p, &jump, 1);
  emit(p, &len17, 1);
}
static void reseal_step(program* p) { op(p, 7); }
static void patch_step(program* p, unsigned char len3, unsigned char flags) {
  op(p, 8);
  emit(p, &len3, 1);
  emit(p, &flags, 1);
}
static void fresh_step(program* p) { op(p, 9); }
static void catch_up_step(program* p, unsigned char back) {
  op(p, 10);
  emit(p, &back, 1);
}
static void entry_poke(program* p, unsigned char entry, unsigned char field, uint64_t value) {
  op(p, 11);
  emit(p, &entry, 1);
  emit(p, &field, 1);
  emit(p, &value, 8);
}

#define VERSION_AT ((uint16_t)offsetof(shmstate_header, version))
#define CURRENT_SLOT_AT ((uint16_t)offsetof(shmstate_header, current_slot))
#define REGION_AT(i) \
  ((uint16_t)(offsetof(shmstate_header_fixed, regions) + sizeof(shmstate_region) * (i)))
#define REGION_COUNT_AT ((uint16_t)offsetof(shmstate_header_fixed, region_count))
/* An attach entry FREE at generation 1: it was used once (a never-used table is never cleaned). */
#define ATTACH_GEN_ONE_FREE 4u
#define FLAGS_AT ((uint16_t)offsetof(shmstate_header, flags))
#define COMPAT_AT ((uint16_t)offsetof(shmstate_header_fixed, compat_features))
#define INCOMPAT_AT ((uint16_t)offsetof(shmstate_header_fixed, incompat_features))

/* The layout the mutation target's segment has for capacity byte `b`: created here with
 * the target's options (capacity 64 + 16 * b; with a 3-entry ring when b is odd) and read
 * back from its region table. */
static seg_layout mutate_layout(unsigned char b) {
  char name[64];
  snprintf(name, sizeof name, "seed_%d_mutate%u", (int)getpid(), b);
  shmstate_create_options opts = {0};
  opts.capacity = 64 + 16u * b;
  opts.initial_version = 1;
  if (b & 1) {
    opts.ring_entries = 3;
    opts.ring_patch_max = 100;
  }
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_create_with(name, &opts, "{}", 2, &seg, &err) != 0) {
    fprintf(stderr, "create: %s\n", err.message);
    exit(1);
  }
  size_t size;
  unsigned char* bytes = file_bytes(seg, name, &size);
  seg_layout l = layout_of(bytes, size);
  free(bytes);
  return l;
}

/* The offset of slot `index` in the target's segment for capacity byte `b`. */
static uint16_t slot_at(unsigned char b, unsigned index) {
  seg_layout l = mutate_layout(b);
  unsigned kind = SHMSTATE_REGION_SLOT0 + index;
  need(&l, kind);
  if (l.offset[kind] > UINT16_MAX) exit(1);
  return (uint16_t)l.offset[kind];
}

/* Starts a program for capacity byte `b`. */
static void start(program* p, unsigned char b) {
  p->len = 0;
  emit(p, &b, 1);
}

static void save(const char* dir, const char* file, const program* p) {
  write_seed(dir, file, p->bytes, p->len, NULL, 0);
}

static void mutate_seeds(const char* dir) {
  program p;
  const seg_layout l1 = mutate_layout(1); /* the segment of capacity byte 1 (with a ring) */
  start(&p, 0);                           /* capacity 64 */
  read_step(&p);
  commit_step(&p, 3);
  read_step(&p);
  reopen_step(&p);
  wait_step(&p);
  save(dir, "read_commit_read", &p);

  start(&p, 4);
  poke64(&p, slot_at(4, 0), 1); /* slot 0's seq odd: the slot the next commit writes */
  read_step(&p);
  commit_step(&p, 9);
  read_step(&p);
  save(dir, "poke_seq_odd", &p);

  start(&p, 4);
  commit_step(&p, 1);
  poke64(&p, slot_at(4, 0), 3); /* now the current slot's seq: readers say E_CORRUPT */
  read_step(&p);
  commit_step(&p, 2);
  read_step(&p);
  save(dir, "poke_current_seq_odd", &p);

  start(&p, 10);
  poke64(&p, VERSION_AT, UINT64_MAX);
  read_step(&p);
  commit_step(&p, 1);
  commit_step(&p, 2);
  read_step(&p);
  read_step(&p);
  reopen_step(&p);
  save(dir, "regress-commit-after-last-version", &p);

  start(&p, 10);
  poke64(&p, VERSION_AT, UINT64_MAX - 3);
  commit_at_step(&p, 9, 1);
  read_step(&p);
  commit_at_step(&p, 0, 1);
  commit_step(&p, 1);
  save(dir, "jump_to_last_version", &p);

  start(&p, 2);
  commit_at_step(&p, 9, 2);
  read_step(&p);
  commit_step(&p, 3);
  commit_at_step(&p, 0, 4);
  commit_at_step(&p, 200, 0);
  reopen_step(&p);
  wait_step(&p);
  save(dir, "jump_commits", &p);

  start(&p, 2);
  commit_step(&p, 3);
  poke64(&p, slot_at(2, 0) + 16, 0xffff); /* the current slot's length */
  read_step(&p);
  reopen_step(&p);
  commit_step(&p, 40);
  read_step(&p);
  save(dir, "poke_length", &p);

  start(&p, 3);
  poke64(&p, CURRENT_SLOT_AT, 7);
  read_step(&p);
  commit_step(&p, 1);
  read_step(&p);
  save(dir, "poke_current_slot_7", &p);

  start(&p, 3);
  commit_step(&p, 1);
  poke64(&p, CURRENT_SLOT_AT, 1); /* back to the older state's slot: the index lags */
  read_step(&p);
  reopen_step(&p);
  commit_at_step(&p, 4, 2);
  read_step(&p);
  save(dir, "poke_current_slot_lags", &p);

  start(&p, 1);
  poke8(&p, (uint16_t)offsetof(shmstate_header_fixed, capacity), 7); /* checksum disagrees */
  reopen_step(&p);
  reseal_step(&p);
  reopen_step(&p);
  commit_step(&p, 1);
  read_step(&p);
  save(dir, "poke_header", &p);

  start(&p, 1);
  /* SLOT1 over SLOT0 */
  poke64(&p, REGION_AT(need(&l1, SHMSTATE_REGION_SLOT1)) + 8, slot_at(1, 0) + 64);
  reseal_step(&p);
  reopen_step(&p);
  read_step(&p);
  commit_step(&p, 2);
  read_step(&p);
  save(dir, "poke_region_overlap_reseal", &p);

  start(&p, 1);
  poke64(&p, REGION_COUNT_AT, 9);
  reseal_step(&p);
  reopen_step(&p);
  /* A compatible feature bit this build does not know, beside the attach table's: ignored. */
  poke64(&p, COMPAT_AT, SHMSTATE_COMPAT_ATTACH | 1ull << 9);
  poke64(&p, REGION_COUNT_AT, l1.count);
  reseal_step(&p);
  reopen_step(&p);
  poke64(&p, INCOMPAT_AT, 1ull << 3); /* an incompatible one */
  reseal_step(&p);
  reopen_step(&p);
  save(dir, "poke_features_reseal", &p);

  /* Compatible bit 0 and the ATTACH region disagreeing, both ways: reopens refuse it, the
   * open handles read and commit all the same. */
  start(&p, 1);
  poke64(&p, COMPAT_AT, 0); /* the region without the bit */
  reseal_step(&p);
  reopen_step(&p);
  read_step(&p);
  poke64(&p, COMPAT_AT, SHMSTATE_COMPAT_ATTACH);
  poke64(&p, REGION_COUNT_AT, need(&l1, SHMSTATE_REGION_ATTACH)); /* the bit without it */
  reseal_step(&p);
  reopen_step(&p);
  commit_step(&p, 2);
  read_step(&p);
  save(dir, "poke_attach_bit_reseal", &p);

  /* The self-cleaning flag poked on and both handles' attach entries poked FREE: a reopen
   * finds no live attacher and removes the store (E_NOENT). The flag poked off again, the
   * name stays gone; the open handles read and commit all the same. */
  start(&p, 1);
  poke64(&p, FLAGS_AT, SHMSTATE_FLAG_SELF_CLEANING);
  poke64(&p, (uint16_t)l1.offset[SHMSTATE_REGION_ATTACH], ATTACH_GEN_ONE_FREE);
  poke64(&p, (uint16_t)(l1.offset[SHMSTATE_REGION_ATTACH] + SHMSTATE_ATTACH_ENTRY_SIZE),
         ATTACH_GEN_ONE_FREE);
  reopen_step(&p);
  poke64(&p, FLAGS_AT, 0);
  reopen_step(&p);
  commit_step(&p, 2);
  read_step(&p);
  save(dir, "poke_self_cleaning_then_clear", &p);

  /* The retired flag poked on (a stray store, or an unlinker's step 3 without its unlink):
   * commits are refused with E_RETIRED, waits end with it, reads go on, and a reopen
   * removes the store (E_NOENT). The flag poked off again, the name stays gone. */
  start(&p, 1);
  commit_step(&p, 1);
  poke64(&p, FLAGS_AT, SHMSTATE_FLAG_RETIRED);
  commit_step(&p, 2);
  wait_step(&p);
  read_step(&p);
  reopen_step(&p);
  poke64(&p, FLAGS_AT, 0);
  reopen_step(&p);
  commit_step(&p, 2);
  read_step(&p);
  save(dir, "poke_retired_then_clear", &p);

  /* Ring programs: an odd capacity byte gives the segment a 3-entry ring. */
  start(&p, 1);
  for (int i = 0; i < 5; i++) patch_step(&p, (unsigned char)(1 + i), 0);
  fresh_step(&p);
  catch_up_step(&p, 2);
  catch_up_step(&p, 9);
  read_step(&p);
  reopen_step(&p);
  save(dir, "ring_patches_and_reads", &p);

  start(&p, 3);
  patch_step(&p, 2, 0);
  patch_step(&p, 60, 0); /* 180 bytes: no entry, a checkpoint */
  catch_up_step(&p, 1);
  patch_step(&p, 4, 1); /* a checkpoint after its entry */
  fresh_step(&p);
  read_step(&p);
  save(dir, "ring_big_patch_and_checkpoints", &p);

  start(&p, 5);
  patch_step(&p, 3, 0);
  patch_step(&p, 3, 0);
  entry_poke(&p, 3, 1, 9); /* an entry claiming a future version */
  fresh_step(&p);
  catch_up_step(&p, 2);
  commit_step(&p, 1);
  patch_step(&p, 50, 0);
  catch_up_step(&p, 1);
  save(dir, "ring_entry_claims_a_future_version", &p);

  start(&p, 7);
  patch_step(&p, 2, 0);
  entry_poke(&p, 2, 0, 5); /* seq odd inside the checkpoint's range */
  fresh_step(&p);
  catch_up_step(&p, 1);
  entry_poke(&p, 2, 2, UINT64_MAX); /* and a length no sum may overflow with */
  catch_up_step(&p, 1);
  patch_step(&p, 2, 1);
  fresh_step(&p);
  save(dir, "ring_entry_pokes", &p);

  start(&p, 9);
  patch_step(&p, 2, 0);
  poke64(&p, CURRENT_SLOT_AT, 7);
  fresh_step(&p);
  patch_step(&p, 2, 0); /* no checkpoint under a scribbled index: one is written */
  fresh_step(&p);
  commit_at_step(&p, 5, 2);
  catch_up_step(&p, 3);
  wait_step(&p);
  save(dir, "ring_scribbled_index_and_jump", &p);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <segment_bytes corpus dir> <mutate corpus dir>\n", argv[0]);
    return 2;
  }
  segment_bytes_seeds(argv[1]);
  mutate_seeds(argv[2]);
  return 0;
}
