/*
 * Writers killed with SIGKILL while they hold the writer lock, at every step of a commit
 * (test hooks) and at random times (external kills of a busy writer): 25 rounds of every
 * crash point plus 100 random kills, once with ordinary commits, once with commits at a
 * given version (shmstate_segment_commit_at, jumping ahead by 1 to 16), and once on a
 * segment with a patch ring, where the writers commit patches (some with a checkpoint, some
 * too large for an entry) and plain checkpoints, and die at every step of each, the ring's
 * own steps included.
 * After each kill: the next writer gets the lock within 100 ms and commits the version it
 * asked for; two readers running throughout only ever see committed versions, never going
 * backwards, and each version they see carries the payload committed as that version (no
 * holes: a payload written but never published must not surface under its version); on the
 * ring they alternate fresh reads (checkpoint and patches) and catch-up reads and check
 * every piece the same way; the statistics count the recoveries.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"
#include "ring_workload.h"

#define CAPACITY 4096u
#define MAX_VERSIONS (1u << 20)
#define HOOK_ROUNDS 25 /* per crash step */
#define RANDOM_KILLS 100
#define READERS 2
#define MAX_JUMP 16
#define LOCK_BUDGET_NS (100 * 1000000LL)

/* How the writers of one run commit: the next version, a jump ahead, or (on a segment with
 * a patch ring) patches and checkpoints (ring_workload.h). */
typedef enum writer_mode { PLAIN, JUMP, RING } writer_mode;

/* Shared between the test, its writers and its readers. */
typedef struct shared_log {
  uint32_t intent[MAX_VERSIONS];   /* token of the last writer that tried to commit v */
  uint32_t observed[MAX_VERSIONS]; /* token a reader saw first as v's payload */
  volatile int stop_readers;
  uint64_t reads;
  uint64_t violations;
  char first_violation[160];
} shared_log;

/* Payload for (version, token): 8-byte words, word 0 the version, word 1 the token. */
static size_t build(unsigned char* buf, uint64_t version, uint32_t token) {
  size_t len = 64 + (size_t)(version % 512) * 7;
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = i == 0 ? version : i == 1 ? token : version * 31 + token * 17 + i;
    memcpy(buf + i * 8, &w, len - i * 8 >= 8 ? 8 : len - i * 8);
  }
  return len;
}

/* The version a writer asks for after `current`: the next one, or (JUMP) 1 to MAX_JUMP
 * ahead, varied by writer and version so that jumps of every size occur. */
static uint64_t next_version(uint64_t current, uint32_t token, writer_mode mode) {
  if (mode != JUMP) return current + 1;
  return current + 1 + (current * 2654435761u + token) % MAX_JUMP;
}

/* One commit with the intent protocol: record who tries the next version, then commit it
 * with compare-and-set against the version it follows. `kind` is for RING mode. */
static int commit_kind(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                       ring_kind kind, uint64_t* out, shmstate_error* err) {
  unsigned char buf[CAPACITY];
  uint64_t current = shmstate_segment_version(seg);
  uint64_t next = next_version(current, token, mode);
  if (next >= MAX_VERSIONS) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "test ran out of versions");
  }
  __atomic_store_n(&log->intent[next], token, __ATOMIC_SEQ_CST);
  size_t len = build(buf, next, token);
  if (mode == RING) return ring_commit(seg, current, token, kind, buf, len, out, err);
  if (mode == JUMP) return shmstate_segment_commit_at(seg, buf, len, current, next, out, err);
  return shmstate_segment_commit(seg, buf, len, current, out, err);
}

/* A commit of the mode's usual kind (RING: a patch, or now and then another kind). */
static int commit_as(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                     uint64_t* out, shmstate_error* err) {
  uint64_t v = shmstate_segment_version(seg);
  ring_kind kind = v % 7 == 3 ? RING_PLAIN : v % 11 == 5 ? RING_BIG_PATCH : RING_PATCH;
  return commit_kind(seg, log, token, mode, kind, out, err);
}

static void violation(shared_log* log, const char* what, uint64_t version) {
  if (__atomic_fetch_add(&log->violations, 1, __ATOMIC_SEQ_CST) == 0) {
    snprintf(log->first_violation, sizeof log->first_violation, "%s (version %llu)", what,
             (unsigned long long)version);
  }
}

/* Records `token` as the payload seen for `version`, or reports a second, different one. */
static void observe(shared_log* log, uint64_t version, uint32_t token) {
  uint32_t seen = 0;
  if (!__atomic_compare_exchange_n(&log->observed[version], &seen, token, 0, __ATOMIC_SEQ_CST,
                                   __ATOMIC_SEQ_CST) &&
      seen != token) {
    violation(log, "one version seen with two payloads", version);
  }
}

/* Checks a state read as `version` (self-verifying, the one committed as it) and records
 * its token. */
static void check_state(shared_log* log, const unsigned char* buf, size_t len, uint64_t version) {
  unsigned char want[CAPACITY];
  if (version == 1 || version >= MAX_VERSIONS) return;
  uint64_t w0 = 0, token = 0;
  memcpy(&w0, buf, len < 8 ? len : 8);
  if (len >= 16) memcpy(&token, buf + 8, 8);
  if (len < 16 || w0 != version) {
    violation(log, "payload belongs to another version", version);
    return;
  }
  if (build(want, version, (uint32_t)token) != len || memcmp(want, buf, len) != 0) {
    violation(log, "payload is not the one built for its version", version);
    return;
  }
  observe(log, version, (uint32_t)token);
}

/* Checks every patch a ring read returned as leading to from + 1, from + 2, ... */
static void check_patches(shared_log* log, const ring_reader* rr, uint64_t from) {
  for (size_t i = 0; i < rr->pb.count; i++) {
    const shmstate_patch* p = &rr->pb.entries[i];
    uint32_t token = 0;
    const char* problem = ring_check_patch(rr->bytes + p->offset, p->length, p->version, &token);
    if (p->version != from + 1 + i) {
      violation(log, "patches out of order", p->version);
    } else if (problem != NULL) {
      violation(log, problem, p->version);
    } else if (p->version < MAX_VERSIONS) {
      observe(log, p->version, token);
    }
  }
}

/* A fresh read of a ring segment, every piece checked; returns the version or 0. */
static uint64_t fresh_read_checked(shmstate_segment* seg, shared_log* log, ring_reader* rr) {
  shmstate_error err;
  uint64_t version = 0;
  int rc = ring_fresh_read(seg, rr, &version, &err);
  if (rc == SHMSTATE_E_BUSY) return 0;
  if (rc != SHMSTATE_OK) {
    violation(log, err.message, version);
    return 0;
  }
  if (rr->checkpoint > version || rr->pb.count != version - rr->checkpoint) {
    violation(log, "a fresh read's patches do not join its checkpoint to its version", version);
  }
  check_state(log, rr->state, rr->len, rr->checkpoint);
  check_patches(log, rr, rr->checkpoint);
  return version;
}

static void reader_main(const char* name, shared_log* log, writer_mode mode) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
  unsigned char buf[CAPACITY];
  static ring_reader rr;
  uint64_t last = 0;
  for (unsigned turn = 0; !__atomic_load_n(&log->stop_readers, __ATOMIC_SEQ_CST); turn++) {
    size_t len = 0;
    uint64_t version = 0;
    if (mode == RING && last != 0 && turn % 4 != 0) {
      /* Catch up from the last version read; a fresh read when the ring cannot. */
      int need_full = 0;
      size_t room = turn % 2 ? RING_PATCH_MAX : sizeof rr.bytes; /* prefixes now and then */
      if (ring_catch_up(seg, &rr, last, room, &version, &need_full, &err) != SHMSTATE_OK) {
        violation(log, err.message, last);
        continue;
      }
      if (need_full) continue; /* the next turn that is a fresh read */
      check_patches(log, &rr, last);
    } else if (mode == RING) {
      if ((version = fresh_read_checked(seg, log, &rr)) == 0) continue;
    } else {
      if (shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err) != SHMSTATE_OK) {
        violation(log, err.message, version);
        continue;
      }
      check_state(log, buf, len, version);
    }
    __atomic_fetch_add(&log->reads, 1, __ATOMIC_RELAXED);
    if (version < last) violation(log, "version went backwards", version);
    last = version;
  }
  shmstate_segment_close(seg);
  _exit(0);
}

/* After a kill: this process commits the version it asks for, within the lock budget, and
 * reads it back. `round` varies the kind of a RING commit. */
static int recover_and_commit(shmstate_segment* seg, shared_log* log, uint32_t token,
                              writer_mode mode, int round, const char* what) {
  shmstate_error err;
  uint64_t before = shmstate_segment_version(seg), got = 0;
  uint64_t want_version = next_version(before, token, mode);
  ring_kind kind = (ring_kind)(round % RING_KINDS);
  int64_t start = harness_now_ns();
  int rc = commit_kind(seg, log, token, mode, kind, &got, &err);
  int64_t took = harness_now_ns() - start;
  int ok = CHECKF(rc == SHMSTATE_OK, "%s: %s", what, err.message);
  ok &=
      CHECKF(took < LOCK_BUDGET_NS, "%s: next commit took %lld us", what, (long long)(took / 1000));
  ok &=
      CHECKF(got == want_version, "%s: committed %llu after %llu, asked for %llu", what,
             (unsigned long long)got, (unsigned long long)before, (unsigned long long)want_version);
  unsigned char buf[CAPACITY], want[CAPACITY];
  size_t len = 0;
  uint64_t version = 0;
  if (mode != RING) {
    CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err), &err);
    ok &= CHECK(version == got && build(want, got, token) == len && memcmp(buf, want, len) == 0);
    return ok;
  }
  static ring_reader rr;
  uint64_t before_violations = log->violations;
  version = fresh_read_checked(seg, log, &rr);
  ok &= CHECKF(version == got && log->violations == before_violations,
               "%s: read back version %llu after committing %llu (%s)", what,
               (unsigned long long)version, (unsigned long long)got, log->first_violation);
  /* The read's last piece is this commit's: its patch, or its state at a checkpoint. */
  if (rr.pb.count > 0) {
    const shmstate_patch* p = &rr.pb.entries[rr.pb.count - 1];
    ok &= CHECK(p->version == got && ring_build_patch(want, got, token, 0) == p->length &&
                memcmp(rr.bytes + p->offset, want, p->length) == 0);
  }
  return ok;
}

/* A child that makes `warmup` commits, then dies at `step` of the next one. On the ring the
 * last commit is of a kind that passes `step`, and if the ring is close to full a plain
 * checkpoint comes first so that the patch's entry is written (a patch commit passes the
 * entry steps only when its entry is safe to write). */
static void die_at_step(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                        int warmup, int step) {
  shmstate_error err;
  uint64_t v;
  ring_kind last = RING_PATCH;
  if (mode == RING) {
    if (!ring_room_for(seg, warmup + 1)) {
      if (commit_kind(seg, log, token, mode, RING_PLAIN, &v, &err) != SHMSTATE_OK) _exit(2);
    }
    last = ring_kind_for_step(step, warmup);
  }
  for (int i = 0; i < warmup; i++) {
    if (commit_kind(seg, log, token, mode, RING_PATCH, &v, &err) != SHMSTATE_OK) _exit(2);
  }
  shmstate_test_set_crash_step(seg, step);
  commit_kind(seg, log, token, mode, last, &v, &err);
  _exit(3); /* the crash point did not fire */
}

/* A child that commits as fast as it can until it is killed. */
static void commit_until_killed(shmstate_segment* seg, shared_log* log, uint32_t token,
                                writer_mode mode) {
  shmstate_error err;
  uint64_t v;
  for (;;) {
    if (commit_as(seg, log, token, mode, &v, &err) != SHMSTATE_OK) _exit(2);
  }
}

/* No holes: whatever a reader saw as version v is what v's last committer wrote. */
static uint64_t check_no_holes(shmstate_segment* seg, const shared_log* log) {
  uint64_t final = shmstate_segment_version(seg), checked = 0;
  for (uint64_t v = 2; v <= final && v < MAX_VERSIONS; v++) {
    if (log->observed[v] == 0) continue;
    checked++;
    if (!CHECKF(log->observed[v] == log->intent[v],
                "version %llu: reader saw token %u, committed by token %u", (unsigned long long)v,
                log->observed[v], log->intent[v]))
      break;
  }
  return checked;
}

static void writers_killed_at_every_step_and_at_random(writer_mode mode, const char* tag) {
  const char* name = harness_name(tag);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(ring_workload_create(name, CAPACITY, mode == RING, &seg, &err), &err);
  if (seg == NULL) return;
  shared_log* log =
      mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (!CHECK(log != MAP_FAILED)) return;
  int readers[READERS];
  for (int i = 0; i < READERS; i++) {
    if ((readers[i] = fork()) == 0) reader_main(name, log, mode);
  }

  uint32_t token = 1;
  uint64_t lock_held_kills = 0;
  int ok = 1, steps = mode == RING ? SHMSTATE_CRASH_STEP_COUNT : SHMSTATE_CRASH_PLAIN_COUNT;
  /* Kills at each named step; each child first makes 0-2 commits. */
  for (int round = 0; ok && round < HOOK_ROUNDS; round++) {
    for (int step = SHMSTATE_CRASH_AFTER_LOCK; ok && step < steps; step++) {
      uint32_t child_token = ++token;
      int pid = fork();
      if (pid == 0) die_at_step(seg, log, child_token, mode, round % 3, step);
      ok &= CHECKF(harness_wait_child(pid) == 128 + SIGKILL, "step %d round %d", step, round);
      lock_held_kills++;
      char what[64];
      snprintf(what, sizeof what, "after a kill at step %d", step);
      ok &= recover_and_commit(seg, log, ++token, mode, round + step, what);
    }
  }
  /* Kills from outside at random times while the child commits as fast as it can. */
  srand((unsigned)getpid());
  for (int round = 0; ok && round < RANDOM_KILLS; round++) {
    uint32_t child_token = ++token;
    int pid = fork();
    if (pid == 0) commit_until_killed(seg, log, child_token, mode);
    usleep((useconds_t)(200 + rand() % 2000));
    kill(pid, SIGKILL);
    ok &= CHECK(harness_wait_child(pid) == 128 + SIGKILL);
    ok &= recover_and_commit(seg, log, ++token, mode, round, "after a random kill");
  }

  __atomic_store_n(&log->stop_readers, 1, __ATOMIC_SEQ_CST);
  for (int i = 0; i < READERS; i++) CHECK(harness_wait_child(readers[i]) == 0);
  CHECKF(log->violations == 0, "%llu violations, first: %s", (unsigned long long)log->violations,
         log->first_violation);
  CHECKF(log->reads > 0, "the readers made no progress");
  uint64_t checked = check_no_holes(seg, log);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(
      st.lock_recoveries >= lock_held_kills && st.lock_recoveries <= lock_held_kills + RANDOM_KILLS,
      "%llu recoveries for %llu kills at hooks", (unsigned long long)st.lock_recoveries,
      (unsigned long long)lock_held_kills);
  printf(
      "    %s: %llu kills at hooks, %d random kills, %llu recoveries, %llu reads, "
      "%llu versions checked, final version %llu\n",
      mode == JUMP   ? "commit_at"
      : mode == RING ? "patch ring"
                     : "commit",
      (unsigned long long)lock_held_kills, RANDOM_KILLS, (unsigned long long)st.lock_recoveries,
      (unsigned long long)log->reads, (unsigned long long)checked, (unsigned long long)st.version);
  munmap(log, sizeof *log);
  shmstate_segment_close(seg);
}

static void plain_writers_killed(void) {
  writers_killed_at_every_step_and_at_random(PLAIN, "crash");
}

static void jumping_writers_killed(void) {
  writers_killed_at_every_step_and_at_random(JUMP, "crashjump");
}

static void ring_writers_killed(void) {
  writers_killed_at_every_step_and_at_random(RING, "crashring");
}

/* The published version and payload read through `seg`. */
static int reads_as(shmstate_segment* seg, uint64_t version, const char* want) {
  shmstate_error err;
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err);
  return CHECKF(
      rc == SHMSTATE_OK && v == version && len == strlen(want) && memcmp(buf, want, len) == 0,
      "read %s v%llu, wanted v%llu: %s", shmstate_code_name(rc), (unsigned long long)v,
      (unsigned long long)version, err.message);
}

/* Killed between its two publishing stores, a writer leaves the version published and the
 * slot index naming the previous state's slot. Readers follow the version to the other
 * slot; the next writer repairs the index before it writes, so it writes the slot that
 * does not hold the published state. */
static void a_writer_killed_between_version_and_slot_index(void) {
  const char* name = harness_name("lagkill");
  shmstate_error err;
  shmstate_segment *seg = NULL, *reader = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, "a", 1, &seg, &err), &err);
  CHECK_OK(shmstate_segment_open(name, &reader, &err), &err);
  if (seg == NULL || reader == NULL) {
    shmstate_segment_close(seg);
    shmstate_segment_close(reader);
    return;
  }
  int pid = fork();
  if (pid == 0) {
    shmstate_test_set_crash_step(seg, SHMSTATE_CRASH_AFTER_VERSION);
    shmstate_segment_commit_at(seg, "b", 1, 0, 5, NULL, &err);
    _exit(3);
  }
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  shmstate_header* hdr = seg->hdr;
  CHECK(atomic_load(&hdr->version) == 5);
  CHECK(atomic_load(&hdr->current_slot) == 1); /* still the initial state's slot */
  CHECK(reads_as(reader, 5, "b"));
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "c", 1, 5, &v, &err), &err);
  CHECK(v == 6 && reads_as(reader, 6, "c"));
  /* Repaired to slot 0 (version 5), then the commit wrote slot 1 and named it. */
  CHECK(atomic_load(&shmstate_slot(seg, 0)->version) == 5);
  CHECK(atomic_load(&shmstate_slot(seg, 1)->version) == 6);
  CHECK(atomic_load(&hdr->current_slot) == 1);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1);
  shmstate_segment_close(reader);
  shmstate_segment_close(seg);
}

/* ---- deterministic kills on a ring segment (N = 4) ---- */

static shmstate_segment* ring_segment(const char* tag) {
  shmstate_create_options opts = {0};
  opts.capacity = 256;
  opts.initial_version = 1;
  opts.ring_entries = 4;
  opts.ring_patch_max = 64;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create_with(harness_name(tag), &opts, "S1", 2, &seg, &err), &err);
  return seg;
}

/* Commits `patch` (with `state` when not NULL; else a tracked length of 8) on top of the
 * published version. */
static int patch(shmstate_segment* seg, const char* p, const char* state) {
  shmstate_error err;
  uint64_t v = shmstate_segment_version(seg);
  int rc = shmstate_segment_commit_patch(seg, p, strlen(p), state, state ? strlen(state) : 8, v,
                                         NULL, &err);
  return CHECKF(rc == SHMSTATE_OK, "patch %s: %s", p, err.message);
}

/* A child writer that dies at `step` of a patch commit of `p` (with `state` if given), or of
 * a plain commit of `state` when `p` is NULL. */
static int kill_writer_at(shmstate_segment* seg, int step, const char* p, const char* state) {
  int pid = fork();
  if (pid == 0) {
    shmstate_error err;
    uint64_t v = shmstate_segment_version(seg);
    shmstate_test_set_crash_step(seg, step);
    if (p == NULL) {
      shmstate_segment_commit(seg, state, strlen(state), v, NULL, &err);
    } else {
      shmstate_segment_commit_patch(seg, p, strlen(p), state, state ? strlen(state) : 8, v, NULL,
                                    &err);
    }
    _exit(3);
  }
  return CHECK(harness_wait_child(pid) == 128 + SIGKILL);
}

/* Takes the lock without committing (a compare-and-set that fails), which recovers it. */
static void recover_by_a_refused_commit(shmstate_segment* seg) {
  shmstate_error err;
  CHECK_CODE(shmstate_segment_commit(seg, "x", 1, 999999, NULL, &err), SHMSTATE_E_CONFLICT, &err);
}

typedef struct delta_read {
  int rc;
  char state[256];
  size_t len;
  uint64_t checkpoint, version;
  char bytes[512];
  shmstate_patch entries[4];
  shmstate_patch_buffer pb;
  shmstate_error err;
} delta_read;

static void read_delta_into(shmstate_segment* seg, delta_read* d) {
  d->pb = (shmstate_patch_buffer){d->bytes, sizeof d->bytes, d->entries, 4, 0, 0};
  d->rc = shmstate_segment_read_delta(seg, d->state, sizeof d->state, &d->len, &d->checkpoint,
                                      &d->pb, &d->version, &d->err);
}

/* The patches from `from`: returns need_full, or -1 on an error. */
static int catch_up_from(shmstate_segment* seg, uint64_t from, delta_read* d) {
  d->pb = (shmstate_patch_buffer){d->bytes, sizeof d->bytes, d->entries, 4, 0, 0};
  int need_full = -1;
  d->rc = shmstate_segment_read_patches(seg, from, &d->pb, &d->version, &need_full, &d->err);
  return d->rc == SHMSTATE_OK ? need_full : -1;
}

static void an_unpublished_entry_is_cleared_before_a_checkpoint_publishes_its_version(void) {
  shmstate_segment* seg = ring_segment("deadentry");
  if (seg == NULL) return;
  patch(seg, "P2", NULL);
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_ENTRY, "DEAD3", NULL);
  CHECK(atomic_load(&shmstate_ring_entry(seg, 3)->version) == 3); /* written, not published */
  CHECK(shmstate_segment_version(seg) == 2);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "S3", 2, 2, &v, &err), &err); /* no entry for 3 */
  CHECK(v == 3 && atomic_load(&shmstate_ring_entry(seg, 3)->version) == 0);
  delta_read d;
  CHECK(catch_up_from(seg, 2, &d) == 1); /* not DEAD3 */
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 3 && d.checkpoint == 3 && d.len == 2 &&
        memcmp(d.state, "S3", 2) == 0);
  shmstate_segment_close(seg);
}

static void an_unpublished_slot_is_cleared_before_a_patch_publishes_its_version(void) {
  shmstate_segment* seg = ring_segment("deadslot");
  if (seg == NULL) return;
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_SEQ_EVEN, NULL, "DEAD2");
  CHECK(atomic_load(&shmstate_slot(seg, 0)->version) == 2); /* written, not published */
  patch(seg, "P2", NULL);
  CHECK(shmstate_segment_version(seg) == 2 && atomic_load(&shmstate_slot(seg, 0)->version) == 0);
  /* With entry 2 damaged a fresh read falls back to the other slot: it must not find the
   * dead writer's state there under version 2. */
  atomic_store(&shmstate_ring_entry(seg, 2)->version, 99);
  delta_read d;
  read_delta_into(seg, &d);
  CHECKF(d.rc == SHMSTATE_E_CORRUPT, "read_delta gave %s (%.*s)", shmstate_code_name(d.rc),
         (int)d.len, d.state);
  char buf[256];
  size_t len = 0;
  uint64_t v = 0;
  shmstate_error err;
  CHECK_CODE(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), SHMSTATE_E_INVALID, &err);
  shmstate_segment_close(seg);
}

static void a_writer_killed_after_a_full_rings_version_leaves_the_checkpoint_overdue(void) {
  shmstate_segment* seg = ring_segment("overdue");
  if (seg == NULL) return;
  patch(seg, "P2", NULL);
  patch(seg, "P3", NULL);
  patch(seg, "P4", NULL);
  /* The patch for 5 fills the ring (5 - 1 == N): its commit is a checkpoint, killed between
   * its version and its slot. */
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_PATCH_VERSION, "P5", "S5");
  delta_read d;
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 5 && d.checkpoint == 1 && d.pb.count == 4);
  CHECK(catch_up_from(seg, 1, &d) == 0 && d.version == 5 && d.pb.count == 4);
  /* The next entry would overwrite the patch for 2, which fresh readers need: a checkpoint
   * without an entry is due. */
  shmstate_error err;
  int due = 0;
  CHECK_OK(shmstate_segment_patch_plan(seg, 5, 2, 8, &due, &err), &err);
  CHECK(due == 1);
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(seg, "P6", 2, NULL, 8, 5, &v, &err), SHMSTATE_E_INVALID,
             &err);
  CHECKF(harness_contains(err.message, "overdue"), "%s", err.message);
  CHECK_OK(shmstate_segment_commit_patch(seg, "P6", 2, "S6", 2, 5, &v, &err), &err);
  CHECK(v == 6 && atomic_load(&shmstate_ring_entry(seg, 6)->version) == 2); /* not written */
  CHECK(catch_up_from(seg, 5, &d) == 1);
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 6 && d.checkpoint == 6 && d.pb.count == 0);
  shmstate_segment_close(seg);
}

static void a_writer_killed_between_a_checkpoints_slot_and_index_is_completed(void) {
  shmstate_segment* seg = ring_segment("cpindex");
  if (seg == NULL) return;
  patch(seg, "P2", NULL);
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_CHECKPOINT, "P3", "S3");
  delta_read d;
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 3 && d.checkpoint == 1 && d.pb.count == 2);
  shmstate_stats st;
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.checkpoint_version == 1);
  recover_by_a_refused_commit(seg);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1 && st.checkpoint_version == 3 && st.ring_patch_bytes == 0);
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 3 && d.checkpoint == 3 && d.len == 2 &&
        memcmp(d.state, "S3", 2) == 0);
  shmstate_segment_close(seg);
}

static void a_writer_killed_mid_checkpoint_leaves_readers_on_the_ring(void) {
  shmstate_segment* seg = ring_segment("cpmid");
  if (seg == NULL) return;
  patch(seg, "P2", NULL);
  kill_writer_at(seg, SHMSTATE_CRASH_CHECKPOINT_MID_COPY, "P3", "S3-a-longer-state");
  CHECK(atomic_load(&shmstate_slot(seg, 0)->seq) % 2 == 1);
  delta_read d;
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 3 && d.checkpoint == 1 && d.pb.count == 2);
  patch(seg, "P4", NULL); /* recovers, and the ring carries on */
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 4 && d.checkpoint == 1 && d.pb.count == 3);
  patch(seg, "P5", "S5"); /* the next checkpoint rewrites the half-written slot */
  read_delta_into(seg, &d);
  CHECK(d.rc == SHMSTATE_OK && d.version == 5 && d.checkpoint == 5 &&
        memcmp(d.state, "S5", 2) == 0);
  shmstate_segment_close(seg);
}

static void recovery_recounts_the_patch_bytes_a_dead_writer_did_not_add(void) {
  shmstate_segment* seg = ring_segment("recount");
  if (seg == NULL) return;
  patch(seg, "aa", NULL);
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_PATCH_VERSION, "bbbb", NULL);
  shmstate_stats st;
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.version == 3 && st.ring_patch_bytes == 2); /* the dead writer's 4 not added */
  recover_by_a_refused_commit(seg);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.ring_patch_bytes == 6);
  shmstate_segment_close(seg);
}

static void recovery_resets_the_counters_after_a_checkpoints_index(void) {
  shmstate_segment* seg = ring_segment("cpcount");
  if (seg == NULL) return;
  patch(seg, "aa", NULL);
  kill_writer_at(seg, SHMSTATE_CRASH_AFTER_CHECKPOINT_INDEX, "bbbb", "S3-state");
  shmstate_stats st;
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.checkpoint_version == 3 && st.ring_patch_bytes == 2);
  recover_by_a_refused_commit(seg);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.ring_patch_bytes == 0 && atomic_load(&shmstate_ring(seg)->state_length) == 8);
  shmstate_segment_close(seg);
}

typedef struct waiter_arg {
  shmstate_segment* seg;
  uint64_t seen;
  int rc;
  uint64_t woke_at;
} waiter_arg;

static void* waiter_thread(void* p) {
  waiter_arg* arg = p;
  shmstate_error err;
  arg->rc =
      shmstate_segment_wait(arg->seg, arg->seen, 10 * 1000000000LL, NULL, &arg->woke_at, &err);
  return NULL;
}

static void recovery_wakes_waiters_a_dead_writer_did_not(void) {
  const char* name = harness_name("deadwake");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  waiter_arg arg = {seg, 1, -1, 0};
  pthread_t t;
  pthread_create(&t, NULL, waiter_thread, &arg);
  shmstate_stats st;
  do {
    shmstate_segment_stats(seg, &st, &err);
  } while (st.waiters == 0);
  int pid = fork();
  if (pid == 0) {
    uint64_t v;
    shmstate_test_set_crash_step(seg, SHMSTATE_CRASH_BEFORE_WAKE);
    shmstate_segment_commit(seg, "x", 1, 0, &v, &err);
    _exit(3);
  }
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  CHECK(shmstate_segment_version(seg) == 2); /* published, nobody woken */
  /* A compare-and-set against a stale version fails, but taking the lock recovers it, and
   * recovery wakes the waiter the dead writer left asleep. */
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit(seg, "y", 1, 1, &v, &err), SHMSTATE_E_CONFLICT, &err);
  pthread_join(t, NULL);
  CHECKF(arg.rc == SHMSTATE_OK && arg.woke_at == 2, "waiter: %s at %llu",
         shmstate_code_name(arg.rc), (unsigned long long)arg.woke_at);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1 && st.conflicts == 1);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"writers killed at every step and at random: 275 kills", plain_writers_killed},
      {"commit_at writers jumping ahead, killed at every step and at random: 275 kills",
       jumping_writers_killed},
      {"patch-ring writers killed at every step of patches and checkpoints and at random: "
       "475 kills",
       ring_writers_killed},
      {"a writer killed between the version and the slot index: readers see its version, "
       "the next writer repairs the index",
       a_writer_killed_between_version_and_slot_index},
      {"recovery wakes the waiters a dead writer did not",
       recovery_wakes_waiters_a_dead_writer_did_not},
      {"ring: an unpublished entry is cleared before a checkpoint publishes its version",
       an_unpublished_entry_is_cleared_before_a_checkpoint_publishes_its_version},
      {"ring: an unpublished slot is cleared before a patch publishes its version",
       an_unpublished_slot_is_cleared_before_a_patch_publishes_its_version},
      {"ring: a writer killed after a full ring's version leaves the checkpoint overdue",
       a_writer_killed_after_a_full_rings_version_leaves_the_checkpoint_overdue},
      {"ring: a writer killed between a checkpoint's slot and index is completed",
       a_writer_killed_between_a_checkpoints_slot_and_index_is_completed},
      {"ring: a writer killed mid-checkpoint leaves readers on the ring",
       a_writer_killed_mid_checkpoint_leaves_readers_on_the_ring},
      {"ring: recovery recounts the patch bytes a dead writer did not add",
       recovery_recounts_the_patch_bytes_a_dead_writer_did_not_add},
      {"ring: recovery resets the counters after a checkpoint's index",
       recovery_resets_the_counters_after_a_checkpoints_index},
  };
  return harness_run("crash", cases, sizeof cases / sizeof cases[0]);
}
