/*
 * The patch ring: creating a segment with one, patch commits, the checkpoint policy and the
 * plan, fresh reads (checkpoint plus patches) and catch-up reads, and how plain commits and
 * whole-state reads behave on a ring segment.
 *
 * Patches are opaque to the core; these tests give them a tiny meaning of their own so that
 * a reader can rebuild the state: 'A' + bytes appends the bytes, 'R' + bytes replaces the
 * state with them. The writer side keeps the expected state in a `model`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "harness.h"
#include "internal.h"
#include "raw_segment.h"

#define CAPACITY 1000u
#define ENTRIES 4u
#define PATCH_MAX 100u            /* asked for; the entry stride rounds it up */
#define STRIDE 192u               /* 64 + 100 rounded up to 64 */
#define PATCH_ROOM (STRIDE - 64u) /* 128: what an entry holds */
#define DELTA_MAX (CAPACITY + PATCH_ROOM)
/* A creator's layout for CAPACITY: slots at 4096 and 4096 + 1088, the ring after them. */
#define SLOT0_AT 4096u
#define SLOT1_AT (4096u + 64u + 1024u)
#define RING_AT (4096u + 2u * (64u + 1024u))
#define ENTRY_AT(v) (RING_AT + 64u + ((v) % ENTRIES) * STRIDE)

/* ---- the test's patch language and the writer's model of the state ---- */

static size_t apply(unsigned char* state, size_t len, const unsigned char* patch, size_t n) {
  if (n == 0) return len;
  if (patch[0] == 'R') {
    memcpy(state, patch + 1, n - 1);
    return n - 1;
  }
  memcpy(state + len, patch + 1, n - 1); /* 'A' */
  return len + n - 1;
}

typedef struct model {
  shmstate_segment* seg;
  unsigned char state[CAPACITY];
  size_t len;
  uint64_t version;
} model;

static shmstate_segment* make_ring(const char* tag, uint32_t entries, uint64_t patch_max,
                                   const char* initial) {
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 1;
  opts.ring_entries = entries;
  opts.ring_patch_max = patch_max;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(
      shmstate_segment_create_with(harness_name(tag), &opts, initial, strlen(initial), &seg, &err),
      &err);
  return seg;
}

static int model_start(model* m, const char* tag) {
  m->seg = make_ring(tag, ENTRIES, PATCH_MAX, "start");
  memcpy(m->state, "start", 5);
  m->len = 5;
  m->version = 1;
  return m->seg != NULL;
}

/* Commits `op` + `bytes` as the next patch, passing the full state only when the plan says a
 * checkpoint is due (or when `force_state`). Returns whether the plan said due. */
static int model_commit(model* m, char op, const char* bytes, size_t n, int force_state) {
  unsigned char patch[512];
  patch[0] = (unsigned char)op;
  memcpy(patch + 1, bytes, n);
  unsigned char next[CAPACITY + 512];
  memcpy(next, m->state, m->len);
  size_t next_len = apply(next, m->len, patch, n + 1);
  shmstate_error err;
  int due = -1;
  CHECK_OK(shmstate_segment_patch_plan(m->seg, m->version, n + 1, next_len, &due, &err), &err);
  uint64_t v = 0;
  int with_state = due == 1 || force_state;
  CHECK_OK(shmstate_segment_commit_patch(m->seg, patch, n + 1, with_state ? next : NULL, next_len,
                                         m->version, &v, &err),
           &err);
  CHECK(v == m->version + 1);
  memcpy(m->state, next, next_len);
  m->len = next_len;
  m->version = v;
  return due;
}

typedef struct patch_space {
  unsigned char bytes[4 * DELTA_MAX];
  shmstate_patch entries[64];
  shmstate_patch_buffer pb;
} patch_space;

static shmstate_patch_buffer* patch_space_init(patch_space* ps) {
  ps->pb.bytes = ps->bytes;
  ps->pb.bytes_cap = sizeof ps->bytes;
  ps->pb.entries = ps->entries;
  ps->pb.entries_cap = sizeof ps->entries / sizeof ps->entries[0];
  ps->pb.count = ps->pb.used = 0;
  return &ps->pb;
}

/* A fresh read rebuilds the model's state and version; returns the checkpoint version. */
static uint64_t expect_fresh_read_matches(const model* m) {
  shmstate_error err;
  unsigned char state[CAPACITY + 512];
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  size_t len = 0;
  uint64_t checkpoint = 0, version = 0;
  CHECK_OK(
      shmstate_segment_read_delta(m->seg, state, CAPACITY, &len, &checkpoint, pb, &version, &err),
      &err);
  CHECKF(version == m->version, "read version %llu, model %llu", (unsigned long long)version,
         (unsigned long long)m->version);
  CHECK(checkpoint <= version && pb->count == version - checkpoint);
  for (size_t i = 0; i < pb->count; i++) {
    CHECK(pb->entries[i].version == checkpoint + 1 + i);
    len = apply(state, len, ps.bytes + pb->entries[i].offset, pb->entries[i].length);
  }
  CHECKF(len == m->len && memcmp(state, m->state, len) == 0, "state of %zu bytes, model %zu", len,
         m->len);
  return checkpoint;
}

static shmstate_stats stats_of(shmstate_segment* seg) {
  shmstate_stats st;
  shmstate_error err;
  memset(&st, 0, sizeof st);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  return st;
}

/* ---- creation ---- */

static void a_ring_segment_has_the_documented_bytes(void) {
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 1;
  opts.ring_entries = ENTRIES;
  opts.ring_patch_max = PATCH_MAX;
  const char* name = harness_name("ringbytes");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create_with(name, &opts, "hello", 5, &seg, &err), &err);
  raw_segment raw;
  if (seg == NULL || !CHECK(raw_open(name, &raw) == 0)) return;
  uint64_t ring_size = 64 + ENTRIES * STRIDE;
  CHECK(raw_u64(&raw, 64) == 1);                                 /* incompat bit 0 */
  CHECK(raw_u64(&raw, 56) == 3);                                 /* compat 0, 1: attach, bells */
  CHECK(raw_u32(&raw, 72) == 5);                                 /* region_count */
  CHECK(raw_u32(&raw, 128 + 3 * 32) == 4);                       /* PATCH_RING */
  CHECK(raw_u64(&raw, 128 + 3 * 32 + 8) == RING_AT);             /* after SLOT1 */
  CHECK(raw_u64(&raw, 128 + 3 * 32 + 16) == ring_size);          /* 64 + N * stride */
  CHECK(raw_u32(&raw, 128 + 4 * 32) == 5);                       /* ATTACH */
  CHECK(raw_u64(&raw, 128 + 4 * 32 + 8) == RING_AT + ring_size); /* after the ring */
  CHECK(raw_u64(&raw, 128 + 4 * 32 + 16) == 128 * 64);
  CHECK(raw.size == (RING_AT + ring_size + 128 * 64 + 4095) / 4096 * 4096);
  CHECK(raw_u64(&raw, 32) == raw.size);
  CHECK(raw_u32(&raw, 508) == shmstate_crc32c(raw.bytes + 8, 500));
  CHECK(raw_u32(&raw, RING_AT + 0) == ENTRIES); /* entry_count */
  CHECK(raw_u32(&raw, RING_AT + 4) == STRIDE);  /* entry_stride */
  CHECK(raw_u64(&raw, RING_AT + 8) == 5);       /* state_length */
  CHECK(raw_u64(&raw, RING_AT + 16) == 0);      /* patch_bytes */
  for (size_t at = RING_AT + 24; at < RING_AT + ring_size; at++) {
    if (!CHECKF(raw.bytes[at] == 0, "ring byte %zu", at - RING_AT)) break;
  }
  CHECK(raw_u64(&raw, SLOT1_AT + 8) == 1 && memcmp(raw.bytes + SLOT1_AT + 64, "hello", 5) == 0);
  raw_close(&raw);
  shmstate_segment_close(seg);
}

static void options_without_a_ring_make_the_plain_layout(void) {
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 7;
  opts.mode = 0640;
  const char* name = harness_name("noring");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create_with(name, &opts, "x", 1, &seg, &err), &err);
  raw_segment raw;
  if (seg == NULL || !CHECK(raw_open(name, &raw) == 0)) return;
  CHECK(raw.size == 16384 && raw_u64(&raw, 64) == 0 && raw_u32(&raw, 72) == 4);
  CHECK(raw_u64(&raw, 48) == 7 && shmstate_segment_version(seg) == 7);
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  CHECK(info.entries == 0 && info.patch_max == 0 && info.delta_bytes_max == 0);
  raw_close(&raw);
  shmstate_segment_close(seg);
}

static void bad_ring_options_are_e_invalid_naming_the_value(void) {
  static const struct {
    uint32_t entries;
    uint64_t patch_max;
    const char* needle;
  } cases[] = {
      {1, 100, "ring_entries is 1; it must be 0 (no ring) or in [2, 65536]"},
      {65537, 100, "ring_entries is 65537"},
      {4, 0, "ring_patch_max is 0; it must be in [1, 1073741824]"},
      {4, 1ull << 40, "ring_patch_max is 1099511627776"},
      {0, 100, "ring_patch_max is 100 but ring_entries is 0 (no ring)"},
      {65536, 20000, "a ring of 65536 entries of 20096 bytes (ring_patch_max 20000)"},
      {2, (1ull << 30) - 64, "bytes; at most 1073741824"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    shmstate_create_options opts = {0};
    opts.capacity = CAPACITY;
    opts.initial_version = 1;
    opts.ring_entries = cases[i].entries;
    opts.ring_patch_max = cases[i].patch_max;
    shmstate_error err;
    shmstate_segment* seg = NULL;
    CHECK_CODE(shmstate_segment_create_with(harness_name("badring"), &opts, NULL, 0, &seg, &err),
               SHMSTATE_E_INVALID, &err);
    CHECKF(seg == NULL && harness_contains(err.message, cases[i].needle), "wanted \"%s\" in \"%s\"",
           cases[i].needle, err.message);
  }
}

static void create_with_checks_options_like_create(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_create_with(harness_name("nullopts"), NULL, NULL, 0, &seg, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "options is NULL"));
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  CHECK_CODE(shmstate_segment_create_with(harness_name("v0"), &opts, NULL, 0, &seg, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "initial version is 0"));
  opts.initial_version = 1;
  opts.capacity = 10;
  CHECK_CODE(shmstate_segment_create_with(harness_name("cap"), &opts, NULL, 0, &seg, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "capacity is 10"));
  opts.capacity = CAPACITY;
  opts.mode = 0666;
  CHECK_CODE(shmstate_segment_create_with(harness_name("mode"), &opts, NULL, 0, &seg, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "world-writable"));
  CHECK(seg == NULL);
}

static void open_or_create_with_creates_a_ring_then_opens_it(void) {
  const char* name = harness_name("oocring");
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 3;
  opts.ring_entries = 8;
  opts.ring_patch_max = 64;
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  int created = -1;
  CHECK_OK(shmstate_segment_open_or_create_with(name, &opts, "{}", 2, &a, &created, &err), &err);
  CHECK(created == 1);
  opts.ring_entries = 0; /* ignored: the segment exists */
  opts.ring_patch_max = 0;
  CHECK_OK(shmstate_segment_open_or_create_with(name, &opts, "{}", 2, &b, &created, &err), &err);
  CHECK(created == 0);
  if (a == NULL || b == NULL) return;
  shmstate_ring_info info;
  shmstate_segment_ring_info(b, &info);
  CHECK(info.entries == 8 && info.patch_max == 64 && info.delta_bytes_max == CAPACITY + 64);
  CHECK(shmstate_segment_version(b) == 3);
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

static void stats_and_ring_info_describe_the_ring(void) {
  model m;
  if (!model_start(&m, "stats")) return;
  shmstate_ring_info info;
  shmstate_segment_ring_info(m.seg, &info);
  CHECK(info.entries == ENTRIES && info.patch_max == PATCH_ROOM &&
        info.delta_bytes_max == DELTA_MAX);
  model_commit(&m, 'A', "abc", 3, 0);
  model_commit(&m, 'A', "de", 2, 0);
  shmstate_stats st = stats_of(m.seg);
  CHECK(st.ring_entries == ENTRIES && st.ring_patch_max == PATCH_ROOM);
  CHECK(st.version == 3 && st.checkpoint_version == 1 && st.ring_patch_bytes == 4 + 3);
  CHECK(st.commits == 3);
  shmstate_segment_close(m.seg);
}

/* ---- patch commits and catch-up reads ---- */

static void a_patch_commit_lands_in_its_entry(void) {
  model m;
  if (!model_start(&m, "entry")) return;
  raw_segment raw;
  if (!CHECK(raw_open(shmstate_segment_name(m.seg), &raw) == 0)) return;
  model_commit(&m, 'A', "xyz", 3, 0);
  CHECK(m.version == 2);
  uint64_t seq = raw_u64(&raw, ENTRY_AT(2));
  CHECK(seq != 0 && seq % 2 == 0);
  CHECK(raw_u64(&raw, ENTRY_AT(2) + 8) == 2);  /* version */
  CHECK(raw_u64(&raw, ENTRY_AT(2) + 16) == 4); /* length */
  CHECK(raw_u32(&raw, ENTRY_AT(2) + 24) == shmstate_crc32c("Axyz", 4));
  CHECK(memcmp(raw.bytes + ENTRY_AT(2) + 64, "Axyz", 4) == 0);
  CHECK(raw.bytes[ENTRY_AT(2) + 64 + 4] == 0); /* zero-padded to the word */
  CHECK(raw_u64(&raw, 576) == 2);              /* published */
  CHECK(raw_u32(&raw, 584) == 1);              /* the checkpoint is still slot 1, version 1 */
  CHECK(raw_u64(&raw, SLOT1_AT + 8) == 1);
  CHECK(raw_u64(&raw, RING_AT + 8) == 8);  /* state_length: "start" + "xyz" */
  CHECK(raw_u64(&raw, RING_AT + 16) == 4); /* patch_bytes */
  raw_close(&raw);
  shmstate_segment_close(m.seg);
}

static void read_patches_returns_the_patches_in_order(void) {
  model m;
  if (!model_start(&m, "catchup")) return;
  model_commit(&m, 'A', "one", 3, 0);
  model_commit(&m, 'A', "two", 3, 0);
  model_commit(&m, 'A', "three", 5, 0);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t version = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 1, pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && version == 4 && pb->count == 3 && pb->used == 4 + 4 + 6);
  static const char* const want[] = {"Aone", "Atwo", "Athree"};
  for (size_t i = 0; i < 3 && i < pb->count; i++) {
    CHECK(pb->entries[i].version == 2 + i);
    CHECK(pb->entries[i].length == strlen(want[i]));
    CHECK(memcmp(ps.bytes + pb->entries[i].offset, want[i], strlen(want[i])) == 0);
  }
  CHECK_OK(shmstate_segment_read_patches(m.seg, 3, pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && version == 4 && pb->count == 1 && pb->entries[0].version == 4);
  shmstate_segment_close(m.seg);
}

static void read_patches_from_the_published_version_returns_none(void) {
  model m;
  if (!model_start(&m, "uptodate")) return;
  model_commit(&m, 'A', "q", 1, 0);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t version = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 2, pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && version == 2 && pb->count == 0 && pb->used == 0);
  shmstate_segment_close(m.seg);
}

static void read_patches_from_above_the_published_version_is_e_invalid(void) {
  model m;
  if (!model_start(&m, "ahead")) return;
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t version = 0;
  int need_full = -1;
  CHECK_CODE(shmstate_segment_read_patches(m.seg, 9, pb, &version, &need_full, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "from version 9 is above the published version 1"), "%s",
         err.message);
  shmstate_segment_close(m.seg);
}

static void read_patches_into_a_small_buffer_returns_a_prefix(void) {
  model m;
  if (!model_start(&m, "prefix")) return;
  char big[90];
  memset(big, 'b', sizeof big);
  model_commit(&m, 'A', big, 70, 0);
  model_commit(&m, 'A', big, 70, 0);
  model_commit(&m, 'A', "c", 1, 0);
  unsigned char bytes[PATCH_ROOM];
  shmstate_patch entries[8];
  shmstate_patch_buffer pb = {bytes, sizeof bytes, entries, 8, 0, 0};
  shmstate_error err;
  uint64_t version = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 1, &pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && pb.count == 1 && version == 2); /* 71 + 71 bytes do not fit 128 */
  CHECK_OK(shmstate_segment_read_patches(m.seg, version, &pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && pb.count == 2 && version == 4 && pb.entries[1].length == 2);
  /* One entry of room: one patch at a time. */
  pb.entries_cap = 1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 2, &pb, &version, &need_full, &err), &err);
  CHECK(need_full == 0 && pb.count == 1 && version == 3);
  shmstate_segment_close(m.seg);
}

static void read_patches_needs_room_for_one_patch(void) {
  model m;
  if (!model_start(&m, "pbsmall")) return;
  unsigned char bytes[PATCH_ROOM - 1];
  shmstate_patch entries[1];
  shmstate_patch_buffer pb = {bytes, sizeof bytes, entries, 1, 0, 0};
  shmstate_error err;
  uint64_t version = 0;
  int need_full = 0;
  CHECK_CODE(shmstate_segment_read_patches(m.seg, 1, &pb, &version, &need_full, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "127 bytes for 1 entries") &&
             harness_contains(err.message, "one patch of 128 bytes"),
         "%s", err.message);
  shmstate_segment_close(m.seg);
}

static void an_empty_patch_round_trips(void) {
  model m;
  if (!model_start(&m, "empty")) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit_patch(m.seg, NULL, 0, NULL, m.len, 1, &v, &err), &err);
  CHECK(v == 2);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 1, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 0 && v == 2 && pb->count == 1 && pb->entries[0].length == 0);
  m.version = 2;
  expect_fresh_read_matches(&m);
  shmstate_segment_close(m.seg);
}

/* ---- fresh reads ---- */

static void a_fresh_read_returns_the_checkpoint_and_the_patches(void) {
  model m;
  if (!model_start(&m, "fresh")) return;
  model_commit(&m, 'A', "-one", 4, 0);
  model_commit(&m, 'R', "replaced", 8, 0);
  model_commit(&m, 'A', "+tail", 5, 0);
  CHECK(expect_fresh_read_matches(&m) == 1); /* the initial state is the checkpoint */
  CHECK(m.len == 13 && memcmp(m.state, "replaced+tail", 13) == 0);
  shmstate_segment_close(m.seg);
}

static void a_fresh_read_needs_buffers_for_the_whole_delta(void) {
  model m;
  if (!model_start(&m, "freshbuf")) return;
  unsigned char state[CAPACITY], bytes[DELTA_MAX];
  shmstate_patch entries[ENTRIES];
  shmstate_patch_buffer pb = {bytes, DELTA_MAX - 1, entries, ENTRIES, 0, 0};
  shmstate_error err;
  size_t len;
  uint64_t checkpoint, version;
  CHECK_CODE(shmstate_segment_read_delta(m.seg, state, sizeof state, &len, &checkpoint, &pb,
                                         &version, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "patch buffer is 1127 bytes") &&
             harness_contains(err.message, "needs 1128"),
         "%s", err.message);
  pb.bytes_cap = DELTA_MAX;
  pb.entries_cap = ENTRIES - 1;
  CHECK_CODE(shmstate_segment_read_delta(m.seg, state, sizeof state, &len, &checkpoint, &pb,
                                         &version, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "room for 3 entries") && harness_contains(err.message, "4"),
         "%s", err.message);
  pb.entries_cap = ENTRIES;
  CHECK_CODE(shmstate_segment_read_delta(m.seg, state, CAPACITY - 1, &len, &checkpoint, &pb,
                                         &version, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK_CODE(shmstate_segment_read_delta(m.seg, state, sizeof state, &len, &checkpoint, NULL,
                                         &version, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK_OK(shmstate_segment_read_delta(m.seg, state, sizeof state, &len, &checkpoint, &pb, &version,
                                       &err),
           &err);
  CHECK(version == 1 && checkpoint == 1 && pb.count == 0 && len == 5);
  shmstate_segment_close(m.seg);
}

static void a_whole_state_read_of_a_lagging_checkpoint_is_e_invalid(void) {
  model m;
  if (!model_start(&m, "wholelag")) return;
  shmstate_error err;
  char buf[CAPACITY];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(m.seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 1 && len == 5); /* the checkpoint is the published version */
  model_commit(&m, 'A', "!", 1, 0);
  CHECK_CODE(shmstate_segment_read(m.seg, buf, sizeof buf, &len, &v, &err), SHMSTATE_E_INVALID,
             &err);
  CHECKF(harness_contains(err.message, "checkpoint 1, behind the published version 2") &&
             harness_contains(err.message, "shmstate_segment_read_delta"),
         "%s", err.message);
  model_commit(&m, 'A', "?", 1, 1); /* a checkpoint: the whole state is there again */
  CHECK_OK(shmstate_segment_read(m.seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 3 && len == m.len && memcmp(buf, m.state, len) == 0);
  shmstate_segment_close(m.seg);
}

static void read_delta_without_a_ring_returns_the_state_alone(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(harness_name("deltaplain"), 64, 0, "abc", 3, &seg, &err), &err);
  if (seg == NULL) return;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "defg", 4, 0, &v, &err), &err);
  unsigned char state[64];
  shmstate_patch_buffer pb = {NULL, 0, NULL, 0, 7, 7};
  size_t len = 0;
  uint64_t checkpoint = 0;
  CHECK_OK(shmstate_segment_read_delta(seg, state, sizeof state, &len, &checkpoint, &pb, &v, &err),
           &err);
  CHECK(v == 2 && checkpoint == 2 && len == 4 && memcmp(state, "defg", 4) == 0 && pb.count == 0);
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(seg, 1, &pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1 && pb.count == 0);
  CHECK_OK(shmstate_segment_read_patches(seg, 2, &pb, &v, &need_full, &err), &err);
  CHECK(need_full == 0 && v == 2);
  CHECK_CODE(shmstate_segment_commit_patch(seg, "x", 1, NULL, 4, 2, &v, &err), SHMSTATE_E_INVALID,
             &err);
  CHECK(harness_contains(err.message, "has no patch ring"));
  int due = 0;
  CHECK_CODE(shmstate_segment_patch_plan(seg, 2, 1, 4, &due, &err), SHMSTATE_E_INVALID, &err);
  shmstate_segment_close(seg);
}

/* ---- the checkpoint policy ---- */

static void a_full_ring_makes_a_checkpoint_due(void) {
  model m;
  if (!model_start(&m, "wrap")) return;
  /* Checkpoint 1: the patches for 2, 3, 4 leave the ring short of full; the one for 5 fills
   * it (5 - 1 == N), so the commit of 5 is a checkpoint too. */
  for (int i = 0; i < 3; i++) CHECK(model_commit(&m, 'A', "w", 1, 0) == 0);
  CHECK(stats_of(m.seg).checkpoint_version == 1);
  CHECK(model_commit(&m, 'A', "w", 1, 0) == 1);
  CHECK(m.version == 5 && stats_of(m.seg).checkpoint_version == 5);
  CHECK(stats_of(m.seg).ring_patch_bytes == 0);
  /* The checkpointing commit still stored its patch: a reader at 4 catches up by it. */
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t v = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 4, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 0 && v == 5 && pb->count == 1);
  CHECK(expect_fresh_read_matches(&m) == 5);
  CHECK(model_commit(&m, 'A', "x", 1, 0) == 0); /* a new round after the checkpoint */
  CHECK(expect_fresh_read_matches(&m) == 5);
  shmstate_segment_close(m.seg);
}

static void a_patch_too_large_for_an_entry_makes_a_checkpoint_without_an_entry(void) {
  model m;
  if (!model_start(&m, "toolarge")) return;
  model_commit(&m, 'A', "s", 1, 0);
  char big[PATCH_ROOM];
  memset(big, 'L', sizeof big);
  /* 1 + 128 bytes: one more than an entry holds. */
  CHECK(model_commit(&m, 'A', big, PATCH_ROOM, 0) == 1);
  CHECK(m.version == 3 && stats_of(m.seg).checkpoint_version == 3);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t v = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 2, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1 && pb->count == 0); /* no entry for 3 */
  CHECK(expect_fresh_read_matches(&m) == 3);
  /* Exactly an entry's worth fits. */
  CHECK(model_commit(&m, 'R', big, PATCH_ROOM - 1, 0) == 0);
  CHECK(stats_of(m.seg).checkpoint_version == 3);
  CHECK(expect_fresh_read_matches(&m) == 3);
  shmstate_segment_close(m.seg);
}

static void patches_outgrowing_the_state_make_a_checkpoint_due(void) {
  model m;
  if (!model_start(&m, "budget")) return;
  char fill[90];
  memset(fill, 'r', sizeof fill);
  /* Replacements of 80 bytes: the state stays 80, the patches since the checkpoint grow by
   * 81 each. 0 + 81 <= max(80, 128); 81 + 81 > 128: the second is due. */
  CHECK(model_commit(&m, 'R', fill, 80, 0) == 0);
  CHECK(stats_of(m.seg).ring_patch_bytes == 81);
  CHECK(model_commit(&m, 'R', fill, 80, 0) == 1);
  CHECK(stats_of(m.seg).checkpoint_version == 3 && stats_of(m.seg).ring_patch_bytes == 0);
  CHECK(expect_fresh_read_matches(&m) == 3);
  /* Against a larger state the same kind of patches stay within the budget: appends of
   * 100 bytes to an 80-byte state. The fourth since the checkpoint fills the ring. */
  char large[PATCH_ROOM];
  memset(large, 'z', sizeof large);
  for (int i = 0; i < 3; i++) CHECK(model_commit(&m, 'A', large, 99, 0) == 0);
  CHECK(stats_of(m.seg).ring_patch_bytes == 300);
  CHECK(model_commit(&m, 'A', large, 99, 0) == 1);
  CHECK(m.version == 7 && expect_fresh_read_matches(&m) == 7);
  shmstate_segment_close(m.seg);
}

static void the_plan_agrees_with_the_commit(void) {
  model m;
  if (!model_start(&m, "plan")) return;
  unsigned seed = 12345;
  int dues = 0, commits = 0;
  for (int i = 0; i < 300; i++) {
    seed = seed * 1103515245u + 12345u;
    size_t n = (seed >> 8) % 140; /* now and then too large for an entry */
    char op = m.len + n > CAPACITY - 1 || (seed >> 20) % 3 == 0 ? 'R' : 'A';
    char bytes[140];
    memset(bytes, 'a' + i % 26, sizeof bytes);
    unsigned char patch[141];
    patch[0] = (unsigned char)op;
    memcpy(patch + 1, bytes, n);
    unsigned char next[CAPACITY + 141];
    memcpy(next, m.state, m.len);
    size_t next_len = apply(next, m.len, patch, n + 1);
    shmstate_error err;
    int due = -1;
    CHECK_OK(shmstate_segment_patch_plan(m.seg, m.version, n + 1, next_len, &due, &err), &err);
    uint64_t v = 0;
    int rc =
        shmstate_segment_commit_patch(m.seg, patch, n + 1, NULL, next_len, m.version, &v, &err);
    if (due) {
      dues++;
      CHECKF(rc == SHMSTATE_E_INVALID && harness_contains(err.message, "a checkpoint is due"),
             "plan said due, commit gave %s: %s", shmstate_code_name(rc), err.message);
      CHECK(shmstate_segment_version(m.seg) == m.version); /* nothing committed */
      CHECK_OK(
          shmstate_segment_commit_patch(m.seg, patch, n + 1, next, next_len, m.version, &v, &err),
          &err);
    } else {
      CHECKF(rc == SHMSTATE_OK, "plan said not due, commit gave %s: %s", shmstate_code_name(rc),
             err.message);
    }
    commits++;
    memcpy(m.state, next, next_len);
    m.len = next_len;
    m.version = v;
    if (i % 37 == 0) expect_fresh_read_matches(&m);
  }
  CHECK(dues > 20 && dues < commits);
  expect_fresh_read_matches(&m);
  printf("    %d patch commits, %d with a checkpoint due\n", commits, dues);
  shmstate_segment_close(m.seg);
}

static void a_given_state_makes_a_checkpoint_even_when_none_is_due(void) {
  model m;
  if (!model_start(&m, "voluntary")) return;
  CHECK(model_commit(&m, 'A', "v", 1, 1) == 0);
  CHECK(stats_of(m.seg).checkpoint_version == 2 && stats_of(m.seg).ring_patch_bytes == 0);
  CHECK(expect_fresh_read_matches(&m) == 2);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t v = 0;
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 1, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 0 && v == 2 && pb->count == 1); /* its patch is in the ring too */
  shmstate_segment_close(m.seg);
}

/* ---- refusals ---- */

static void a_state_length_above_the_capacity_is_e_capacity(void) {
  model m;
  if (!model_start(&m, "overcap")) return;
  shmstate_error err;
  int due = -1;
  CHECK_CODE(shmstate_segment_patch_plan(m.seg, 1, 3, CAPACITY + 1, &due, &err),
             SHMSTATE_E_CAPACITY, &err);
  CHECKF(harness_contains(err.message, "state after the patch is 1001 bytes; capacity is 1000") &&
             harness_contains(err.message, "so that a checkpoint can always be written"),
         "%s", err.message);
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(m.seg, "Axy", 3, NULL, CAPACITY + 1, 1, &v, &err),
             SHMSTATE_E_CAPACITY, &err);
  static char big[CAPACITY + 1];
  CHECK_CODE(shmstate_segment_commit_patch(m.seg, "Axy", 3, big, sizeof big, 1, &v, &err),
             SHMSTATE_E_CAPACITY, &err);
  CHECK(shmstate_segment_version(m.seg) == 1);
  CHECK_OK(shmstate_segment_patch_plan(m.seg, 1, 3, CAPACITY, &due, &err), &err);
  shmstate_segment_close(m.seg);
}

static void a_patch_commit_needs_the_expected_version(void) {
  model m;
  if (!model_start(&m, "expect")) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(m.seg, "Ax", 2, NULL, 6, 0, &v, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "expected version is 0"), "%s", err.message);
  int due = 0;
  CHECK_CODE(shmstate_segment_patch_plan(m.seg, 0, 2, 6, &due, &err), SHMSTATE_E_INVALID, &err);
  CHECK(shmstate_segment_version(m.seg) == 1);
  shmstate_segment_close(m.seg);
}

static void a_patch_commit_against_a_stale_version_is_e_conflict(void) {
  model m;
  if (!model_start(&m, "stale")) return;
  model_commit(&m, 'A', "1", 1, 0);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(m.seg, "A2", 2, NULL, 7, 1, &v, &err),
             SHMSTATE_E_CONFLICT, &err);
  CHECKF(harness_contains(err.message, "expected version 1 but the current version is 2"), "%s",
         err.message);
  int due = 0;
  CHECK_CODE(shmstate_segment_patch_plan(m.seg, 1, 2, 7, &due, &err), SHMSTATE_E_CONFLICT, &err);
  CHECK(stats_of(m.seg).conflicts == 1 && shmstate_segment_version(m.seg) == 2);
  shmstate_segment_close(m.seg);
}

static void a_patch_commit_after_the_last_version_is_e_limit(void) {
  model m;
  if (!model_start(&m, "limit")) return;
  atomic_store(&m.seg->hdr->version, UINT64_MAX);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(m.seg, "A", 1, NULL, 5, UINT64_MAX, &v, &err),
             SHMSTATE_E_LIMIT, &err);
  int due = 0;
  CHECK_CODE(shmstate_segment_patch_plan(m.seg, UINT64_MAX, 1, 5, &due, &err), SHMSTATE_E_LIMIT,
             &err);
  CHECK(harness_contains(err.message, "2^64-1"));
  shmstate_segment_close(m.seg);
}

/* ---- plain commits on a ring segment ---- */

static void a_plain_commit_on_a_ring_is_a_checkpoint(void) {
  model m;
  if (!model_start(&m, "plaincp")) return;
  model_commit(&m, 'A', "p", 1, 0);
  model_commit(&m, 'A', "q", 1, 0);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(m.seg, "whole", 5, 0, &v, &err), &err);
  CHECK(v == 4);
  shmstate_stats st = stats_of(m.seg);
  CHECK(st.checkpoint_version == 4 && st.ring_patch_bytes == 0);
  raw_segment raw;
  if (CHECK(raw_open(shmstate_segment_name(m.seg), &raw) == 0)) {
    CHECK(raw_u64(&raw, RING_AT + 8) == 5); /* state_length */
    raw_close(&raw);
  }
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 3, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1); /* no patch for 4 */
  memcpy(m.state, "whole", 5);
  m.len = 5;
  m.version = 4;
  CHECK(expect_fresh_read_matches(&m) == 4);
  model_commit(&m, 'A', "+", 1, 0); /* patches carry on from the plain checkpoint */
  CHECK(expect_fresh_read_matches(&m) == 4);
  shmstate_segment_close(m.seg);
}

static void a_commit_at_on_a_ring_is_a_checkpoint(void) {
  model m;
  if (!model_start(&m, "atcp")) return;
  model_commit(&m, 'A', "p", 1, 0);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit_at(m.seg, "jumped", 6, 2, 40, &v, &err), &err);
  CHECK(v == 40 && stats_of(m.seg).checkpoint_version == 40);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  int need_full = -1;
  CHECK_OK(shmstate_segment_read_patches(m.seg, 2, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1);
  memcpy(m.state, "jumped", 6);
  m.len = 6;
  m.version = 40;
  CHECK(expect_fresh_read_matches(&m) == 40);
  model_commit(&m, 'A', "!", 1, 0);
  CHECK(m.version == 41 && expect_fresh_read_matches(&m) == 40);
  shmstate_segment_close(m.seg);
}

static void a_reader_more_than_n_behind_needs_a_full_read(void) {
  model m;
  if (!model_start(&m, "behind")) return;
  for (int i = 0; i < 9; i++) model_commit(&m, 'A', "k", 1, 0);
  CHECK(m.version == 10);
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  uint64_t v = 0;
  int need_full = -1;
  /* The ring holds the patches for 7..10 (N = 4): from 6 catches up, from 5 cannot. */
  CHECK_OK(shmstate_segment_read_patches(m.seg, 6, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 0 && v == 10 && pb->count == 4);
  CHECK_OK(shmstate_segment_read_patches(m.seg, 5, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1 && pb->count == 0);
  CHECK_OK(shmstate_segment_read_patches(m.seg, 1, pb, &v, &need_full, &err), &err);
  CHECK(need_full == 1 && pb->count == 0);
  expect_fresh_read_matches(&m);
  shmstate_segment_close(m.seg);
}

static void a_catching_up_reader_applies_patches_across_checkpoints(void) {
  model m;
  if (!model_start(&m, "follow")) return;
  /* A reader that follows every version by patches alone, across wrap checkpoints. */
  unsigned char state[CAPACITY];
  memcpy(state, "start", 5);
  size_t len = 5;
  uint64_t at = 1;
  patch_space ps;
  shmstate_patch_buffer* pb = patch_space_init(&ps);
  shmstate_error err;
  for (int i = 0; i < 40; i++) {
    char c = (char)('a' + i % 26);
    model_commit(&m, i % 5 == 4 ? 'R' : 'A', &c, 1, 0);
    int need_full = -1;
    uint64_t v = 0;
    CHECK_OK(shmstate_segment_read_patches(m.seg, at, pb, &v, &need_full, &err), &err);
    if (!CHECK(need_full == 0 && v == m.version)) break;
    for (size_t k = 0; k < pb->count; k++) {
      len = apply(state, len, ps.bytes + pb->entries[k].offset, pb->entries[k].length);
    }
    at = v;
  }
  CHECK(len == m.len && memcmp(state, m.state, len) == 0);
  CHECK(stats_of(m.seg).checkpoint_version > 1);
  shmstate_segment_close(m.seg);
}

int main(void) {
  static const test_case cases[] = {
      {"a ring segment has the documented bytes", a_ring_segment_has_the_documented_bytes},
      {"options without a ring make the plain layout",
       options_without_a_ring_make_the_plain_layout},
      {"bad ring options are E_INVALID naming the value",
       bad_ring_options_are_e_invalid_naming_the_value},
      {"create_with checks the options as create does", create_with_checks_options_like_create},
      {"open_or_create_with creates a ring, then opens it",
       open_or_create_with_creates_a_ring_then_opens_it},
      {"stats and ring info describe the ring", stats_and_ring_info_describe_the_ring},
      {"a patch commit lands in its entry", a_patch_commit_lands_in_its_entry},
      {"read_patches returns the patches in order", read_patches_returns_the_patches_in_order},
      {"read_patches from the published version returns none",
       read_patches_from_the_published_version_returns_none},
      {"read_patches from above the published version is E_INVALID",
       read_patches_from_above_the_published_version_is_e_invalid},
      {"read_patches into a small buffer returns a prefix",
       read_patches_into_a_small_buffer_returns_a_prefix},
      {"read_patches needs room for one patch", read_patches_needs_room_for_one_patch},
      {"an empty patch round-trips", an_empty_patch_round_trips},
      {"a fresh read returns the checkpoint and the patches",
       a_fresh_read_returns_the_checkpoint_and_the_patches},
      {"a fresh read needs buffers for the whole delta",
       a_fresh_read_needs_buffers_for_the_whole_delta},
      {"a whole-state read of a lagging checkpoint is E_INVALID",
       a_whole_state_read_of_a_lagging_checkpoint_is_e_invalid},
      {"read_delta without a ring returns the state alone",
       read_delta_without_a_ring_returns_the_state_alone},
      {"a full ring makes a checkpoint due", a_full_ring_makes_a_checkpoint_due},
      {"a patch too large for an entry makes a checkpoint without an entry",
       a_patch_too_large_for_an_entry_makes_a_checkpoint_without_an_entry},
      {"patches outgrowing the state make a checkpoint due",
       patches_outgrowing_the_state_make_a_checkpoint_due},
      {"the plan agrees with the commit", the_plan_agrees_with_the_commit},
      {"a given state makes a checkpoint even when none is due",
       a_given_state_makes_a_checkpoint_even_when_none_is_due},
      {"a state length above the capacity is E_CAPACITY",
       a_state_length_above_the_capacity_is_e_capacity},
      {"a patch commit needs the expected version", a_patch_commit_needs_the_expected_version},
      {"a patch commit against a stale version is E_CONFLICT",
       a_patch_commit_against_a_stale_version_is_e_conflict},
      {"a patch commit after the last version is E_LIMIT",
       a_patch_commit_after_the_last_version_is_e_limit},
      {"a plain commit on a ring is a checkpoint", a_plain_commit_on_a_ring_is_a_checkpoint},
      {"a commit_at on a ring is a checkpoint", a_commit_at_on_a_ring_is_a_checkpoint},
      {"a reader more than N versions behind needs a full read",
       a_reader_more_than_n_behind_needs_a_full_read},
      {"a catching-up reader applies patches across checkpoints",
       a_catching_up_reader_applies_patches_across_checkpoints},
  };
  return harness_run("ring", cases, sizeof cases / sizeof cases[0]);
}
