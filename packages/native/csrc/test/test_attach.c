/* The attach table: attach claims an entry that lists as alive; liveness is the entry's
 * kernel byte lock, so a killed attacher reads dead at once and a pid written into a dead
 * entry does not revive it; detach and close free the entry; a dead entry is reclaimed when
 * the table needs it; a full table (or a segment without one) attaches untracked and sets
 * the flag; concurrent attachers never share an entry; damaged entries never crash the
 * lister; an attacher in its own PID namespace is alive while it runs. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "harness.h"
#include "internal.h"
#include "raw_segment.h"

#define CAPACITY 1000u
#define ATTACH_AT 6272u /* after the two slots of a 1000-byte segment */
#define MAX_LIST 256

static shmstate_segment* make(const char* tag, const char** name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  *name = harness_name(tag);
  CHECK_OK(shmstate_segment_create(*name, CAPACITY, 0, "{}", 2, &seg, &err), &err);
  return seg;
}

static shmstate_segment* open_seg(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  return seg;
}

/* The table as the lister sees it now; returns the count. */
static size_t list(shmstate_segment* seg, shmstate_attachment* out) {
  shmstate_error err;
  size_t count = 0;
  CHECK_OK(shmstate_segment_attached(seg, out, MAX_LIST, &count, &err), &err);
  return count;
}

static uint64_t flags_of(shmstate_segment* seg) {
  shmstate_stats st = {0};
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  return st.flags;
}

static int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A child that opens `name`, attaches as a reader from Python, writes its entry index (one
 * byte) to `ready` and waits for EOF on `go` (or is killed). */
static int spawn_attacher(const char* name, int* ready_fd, int* go_fd) {
  int ready[2], go[2];
  if (!CHECK(pipe(ready) == 0 && pipe(go) == 0)) return -1;
  int pid = fork();
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(2);
    if (shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_PYTHON, &err) !=
        SHMSTATE_OK) {
      _exit(3);
    }
    unsigned char index = (unsigned char)shmstate_segment_attach_index(seg);
    if (write(ready[1], &index, 1) != 1) _exit(4);
    char byte;
    while (read(go[0], &byte, 1) > 0) {
    }
    _exit(0); /* without detaching: the kernel drops the lock at exit */
  }
  close(ready[1]);
  close(go[0]);
  *ready_fd = ready[0];
  *go_fd = go[1];
  return pid;
}

/* Waits for the child's entry index; -1 if it failed before attaching. */
static int wait_ready(int ready_fd) {
  unsigned char index;
  int got = (int)read(ready_fd, &index, 1);
  close(ready_fd);
  return got == 1 ? index : -1;
}

static void attach_lists_the_entry_as_alive(void) {
  const char* name;
  shmstate_segment* seg = make("alive", &name);
  if (seg == NULL) return;
  shmstate_error err;
  int64_t before = realtime_ns();
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK(shmstate_segment_attach_index(seg) == 0);
  shmstate_attachment got[MAX_LIST];
  if (CHECK(list(seg, got) == 1)) {
    CHECK(got[0].index == 0 && got[0].alive == 1 && got[0].self == 1);
    CHECK(got[0].pid == (uint32_t)getpid());
    CHECK(got[0].role == SHMSTATE_ROLE_WRITER && got[0].language == SHMSTATE_LANGUAGE_C);
    CHECK((int64_t)got[0].start_ns >= before && (int64_t)got[0].start_ns <= realtime_ns());
    CHECK(got[0].generation == 1);
  }
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) == 0);
  /* Another handle of the same process sees it alive too, and not as its own. */
  shmstate_segment* other = open_seg(name);
  if (other != NULL && CHECK(list(other, got) == 1)) CHECK(got[0].alive == 1 && got[0].self == 0);
  shmstate_segment_close(other);
  shmstate_segment_close(seg);
}

static void a_killed_attacher_shows_dead_at_the_next_look(void) {
  const char* name;
  shmstate_segment* seg = make("killed", &name);
  if (seg == NULL) return;
  int ready, go;
  int pid = spawn_attacher(name, &ready, &go);
  if (pid < 0) return;
  int index = wait_ready(ready);
  CHECK(index == 0);
  shmstate_attachment got[MAX_LIST];
  if (CHECK(list(seg, got) == 1)) {
    CHECK(got[0].alive == 1 && got[0].pid == (uint32_t)pid);
    CHECK(got[0].role == SHMSTATE_ROLE_READER && got[0].language == SHMSTATE_LANGUAGE_PYTHON);
  }
  kill(pid, SIGKILL);
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  close(go);
  if (CHECK(list(seg, got) == 1)) CHECK(got[0].alive == 0 && got[0].pid == (uint32_t)pid);
  shmstate_segment_close(seg);
}

static void a_live_pid_in_a_dead_entry_does_not_make_it_alive(void) {
  const char* name;
  shmstate_segment* seg = make("pidreuse", &name);
  if (seg == NULL) return;
  int ready, go;
  int pid = spawn_attacher(name, &ready, &go);
  if (pid < 0) return;
  int index = wait_ready(ready);
  kill(pid, SIGKILL);
  harness_wait_child(pid);
  close(go);
  if (!CHECK(index == 0)) {
    shmstate_segment_close(seg);
    return;
  }
  /* The pid is reused by another process: here, this very live one. */
  atomic_store(&shmstate_attach_table(seg)[0].pid, (uint32_t)getpid());
  shmstate_attachment got[MAX_LIST];
  if (CHECK(list(seg, got) == 1)) {
    CHECK(got[0].pid == (uint32_t)getpid());
    CHECK(got[0].alive == 0); /* the byte lock is free: dead whatever the pid */
  }
  shmstate_segment_close(seg);
}

static void a_dead_entry_is_reclaimed_when_the_table_is_otherwise_full(void) {
  const char* name;
  shmstate_segment* seg = make("reclaim", &name);
  if (seg == NULL) return;
  int ready, go;
  int pid = spawn_attacher(name, &ready, &go);
  if (pid < 0) return;
  CHECK(wait_ready(ready) == 0);
  kill(pid, SIGKILL);
  harness_wait_child(pid);
  close(go);
  static shmstate_segment* handles[SHMSTATE_ATTACH_TABLE_ENTRIES];
  shmstate_error err;
  /* Free entries go first: the dead one stays listed (dead) until the last claim. */
  for (int i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) {
    handles[i] = open_seg(name);
    if (handles[i] == NULL) break;
    CHECK_OK(
        shmstate_segment_attach(handles[i], SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_NODE, &err),
        &err);
    int want = i + 1 < SHMSTATE_ATTACH_TABLE_ENTRIES ? i + 1 : 0;
    CHECKF(shmstate_segment_attach_index(handles[i]) == want, "handle %d got %d", i,
           shmstate_segment_attach_index(handles[i]));
  }
  shmstate_attachment got[MAX_LIST];
  CHECK(list(seg, got) == SHMSTATE_ATTACH_TABLE_ENTRIES);
  CHECK(got[0].alive == 1 && got[0].generation == 2 && got[0].pid == (uint32_t)getpid());
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) == 0);
  for (int i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) shmstate_segment_close(handles[i]);
  shmstate_segment_close(seg);
}

static void a_full_table_attaches_untracked_and_sets_the_flag(void) {
  const char* name;
  shmstate_segment* seg = make("full", &name);
  if (seg == NULL) return;
  static shmstate_segment* handles[SHMSTATE_ATTACH_TABLE_ENTRIES];
  shmstate_error err;
  for (int i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) {
    handles[i] = open_seg(name);
    if (handles[i] == NULL) break;
    CHECK_OK(
        shmstate_segment_attach(handles[i], SHMSTATE_ROLE_SUBSCRIBER, SHMSTATE_LANGUAGE_C, &err),
        &err);
  }
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) == 0);
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK(shmstate_segment_attach_index(seg) == -1);
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) != 0);
  shmstate_attachment got[MAX_LIST];
  CHECK(list(seg, got) == SHMSTATE_ATTACH_TABLE_ENTRIES);
  for (int i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) shmstate_segment_close(handles[i]);
  /* The flag stays: the table can never tell when the untracked user leaves. */
  shmstate_segment_detach(seg);
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) != 0);
  CHECK(list(seg, got) == 0);
  shmstate_segment_close(seg);
}

static void detach_frees_the_entry(void) {
  const char* name;
  shmstate_segment* seg = make("detach", &name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_OTHER, &err), &err);
  shmstate_segment_detach(seg);
  CHECK(shmstate_segment_attach_index(seg) == -1);
  shmstate_attachment got[MAX_LIST];
  CHECK(list(seg, got) == 0);
  CHECK((atomic_load(&shmstate_attach_table(seg)[0].control) & 3u) == SHMSTATE_ATTACH_FREE);
  shmstate_segment_detach(seg); /* twice is nothing */
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_OTHER, &err), &err);
  CHECK(shmstate_segment_attach_index(seg) == 0);
  if (CHECK(list(seg, got) == 1)) CHECK(got[0].generation == 2 && got[0].alive == 1);
  shmstate_segment_close(seg);
}

static void close_detaches(void) {
  const char* name;
  shmstate_segment* seg = make("closedet", &name);
  if (seg == NULL) return;
  shmstate_segment* attached = open_seg(name);
  if (attached == NULL) {
    shmstate_segment_close(seg);
    return;
  }
  shmstate_error err;
  CHECK_OK(shmstate_segment_attach(attached, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_NODE, &err),
           &err);
  shmstate_attachment got[MAX_LIST];
  CHECK(list(seg, got) == 1);
  shmstate_segment_close(attached);
  CHECK(list(seg, got) == 0);
  shmstate_segment_close(seg);
}

static void concurrent_attachers_never_share_an_entry(void) {
  enum { CHILDREN = 12 };
  const char* name;
  shmstate_segment* seg = make("concurrent", &name);
  if (seg == NULL) return;
  int go[2], ready[2], hold[2];
  if (!CHECK(pipe(go) == 0 && pipe(ready) == 0 && pipe(hold) == 0)) return;
  int pids[CHILDREN];
  for (int c = 0; c < CHILDREN; c++) {
    pids[c] = fork();
    if (pids[c] == 0) {
      close(go[1]);
      close(ready[0]);
      close(hold[1]);
      shmstate_error err;
      shmstate_segment* mine = NULL;
      if (shmstate_segment_open(name, &mine, &err) != SHMSTATE_OK) _exit(2);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(3); /* EOF: everyone starts at once */
      for (int round = 0; round < 50; round++) {
        if (shmstate_segment_attach(mine, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err) !=
            SHMSTATE_OK) {
          _exit(4);
        }
        int index = shmstate_segment_attach_index(mine);
        if (index < 0) _exit(5);
        /* Our entry must name us while we hold it, whatever the others do. */
        shmstate_attach_entry* entry = &shmstate_attach_table(mine)[index];
        if (atomic_load(&entry->control) != mine->attach_control) _exit(6);
        if (round + 1 < 50) shmstate_segment_detach(mine);
      }
      unsigned char index = (unsigned char)shmstate_segment_attach_index(mine);
      if (write(ready[1], &index, 1) != 1) _exit(7);
      /* Hold the entry until the parent has seen every index. */
      char more;
      while (read(hold[0], &more, 1) > 0) {
      }
      _exit(0);
    }
  }
  close(go[0]);
  close(ready[1]);
  close(hold[0]);
  close(go[1]); /* start */
  int seen[SHMSTATE_ATTACH_TABLE_ENTRIES] = {0};
  int indexes = 0;
  unsigned char index;
  while (indexes < CHILDREN && read(ready[0], &index, 1) == 1) {
    CHECKF(index < SHMSTATE_ATTACH_TABLE_ENTRIES && seen[index] == 0, "index %u twice", index);
    if (index < SHMSTATE_ATTACH_TABLE_ENTRIES) seen[index]++;
    indexes++;
  }
  CHECK(indexes == CHILDREN);
  shmstate_attachment got[MAX_LIST];
  size_t n = list(seg, got);
  CHECK(n == CHILDREN);
  for (size_t i = 0; i < n && i < MAX_LIST; i++) CHECK(got[i].alive == 1);
  close(ready[0]);
  close(hold[1]); /* let them go */
  for (int c = 0; c < CHILDREN; c++) {
    int status = harness_wait_child(pids[c]);
    CHECKF(status == 0, "child %d status %d", c, status);
  }
  n = list(seg, got);
  CHECK(n == CHILDREN);
  for (size_t i = 0; i < n && i < MAX_LIST; i++) CHECK(got[i].alive == 0); /* all exited */
  shmstate_segment_close(seg);
}

static void damaged_entries_never_crash_the_lister(void) {
  const char* name;
  shmstate_segment* seg = make("damaged", &name);
  if (seg == NULL) return;
  unsigned char* table = (unsigned char*)shmstate_attach_table(seg);
  srand(7);
  for (unsigned i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES * SHMSTATE_ATTACH_ENTRY_SIZE; i++) {
    table[i] = (unsigned char)rand();
  }
  memset(table, 0xFF, SHMSTATE_ATTACH_ENTRY_SIZE); /* state 3: no writer stores it */
  size_t used = 0;
  for (unsigned i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) {
    used += (atomic_load(&shmstate_attach_table(seg)[i].control) & 3u) == SHMSTATE_ATTACH_USED;
  }
  shmstate_attachment got[MAX_LIST];
  size_t n = list(seg, got);
  CHECK(n == used);
  for (size_t i = 0; i < n; i++) CHECK(got[i].alive == 0);
  /* A small output buffer still gets the full count. */
  shmstate_error err;
  size_t count = 0;
  CHECK_OK(shmstate_segment_attached(seg, got, 1, &count, &err), &err);
  CHECK(count == used);
  /* Nobody holds any byte: a claim takes the first entry whatever its words say. */
  for (unsigned i = 0; i < SHMSTATE_ATTACH_TABLE_ENTRIES; i++) {
    atomic_fetch_or(&shmstate_attach_table(seg)[i].control, 1u); /* none free */
  }
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK(shmstate_segment_attach_index(seg) == 0);
  n = list(seg, got);
  int alive = 0;
  for (size_t i = 0; i < n && i < MAX_LIST; i++) alive += got[i].alive;
  CHECK(alive == 1 && got[0].index == 0 && got[0].alive == 1 && got[0].self == 1);
  shmstate_segment_close(seg);
}

static void an_attacher_in_its_own_pid_namespace_is_alive_while_it_runs(void) {
  const char* name;
  shmstate_segment* seg = make("pidns", &name);
  if (seg == NULL) return;
  int ready[2], go[2];
  if (!CHECK(pipe(ready) == 0 && pipe(go) == 0)) return;
  int pid = fork();
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    if (unshare(CLONE_NEWPID) != 0) _exit(77);
    int inner = fork(); /* pid 1 of the new namespace */
    if (inner == 0) {
      shmstate_error err;
      shmstate_segment* mine = NULL;
      if (shmstate_segment_open(name, &mine, &err) != SHMSTATE_OK) _exit(2);
      if (shmstate_segment_attach(mine, SHMSTATE_ROLE_SUBSCRIBER, SHMSTATE_LANGUAGE_NODE, &err) !=
          SHMSTATE_OK) {
        _exit(3);
      }
      unsigned char pid_byte = (unsigned char)getpid();
      if (write(ready[1], &pid_byte, 1) != 1) _exit(4);
      char byte;
      while (read(go[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    _exit(inner > 0 ? harness_wait_child(inner) : 5);
  }
  close(ready[1]);
  close(go[0]);
  unsigned char inner_pid = 0;
  int got_byte = (int)read(ready[0], &inner_pid, 1);
  close(ready[0]);
  if (got_byte != 1) {
    close(go[1]);
    int status = harness_wait_child(pid);
    if (status == 77) {
      printf("    (not run here: unshare(CLONE_NEWPID) is not permitted; needs root)\n");
    } else {
      CHECKF(0, "child status %d", status);
    }
    shmstate_segment_close(seg);
    return;
  }
  CHECK(inner_pid == 1); /* its pid means nothing out here */
  shmstate_attachment got[MAX_LIST];
  if (CHECK(list(seg, got) == 1)) CHECK(got[0].pid == 1 && got[0].alive == 1);
  close(go[1]);
  CHECK(harness_wait_child(pid) == 0);
  if (CHECK(list(seg, got) == 1)) CHECK(got[0].alive == 0);
  shmstate_segment_close(seg);
}

static void a_segment_without_a_table_attaches_untracked(void) {
  const char* name;
  shmstate_segment* seg = make("notable", &name);
  if (seg == NULL) return;
  shmstate_segment_close(seg);
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  /* As an older build made it: no compatible bit, three regions. */
  raw_put_u64(&raw, 56, 0);
  memset(raw.bytes + 128 + 3 * 32, 0, 32);
  raw_put_u32(&raw, 72, 3);
  raw_put_u32(&raw, 508, shmstate_crc32c(raw.bytes + 8, 500));
  raw_close(&raw);
  seg = open_seg(name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK(shmstate_segment_attach_index(seg) == -1);
  CHECK((flags_of(seg) & SHMSTATE_FLAG_UNTRACKED) != 0);
  shmstate_attachment got[MAX_LIST];
  CHECK(list(seg, got) == 0);
  shmstate_segment_close(seg);
}

static void bad_arguments_and_a_second_attach_are_e_invalid(void) {
  const char* name;
  shmstate_segment* seg = make("badargs", &name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK_CODE(shmstate_segment_attach(seg, (shmstate_role)0, SHMSTATE_LANGUAGE_C, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "role is 0"));
  CHECK_CODE(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, (shmstate_language)9, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "language is 9"));
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK_CODE(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err),
             SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "attached already"));
  size_t count = 0;
  CHECK_CODE(shmstate_segment_attached(seg, NULL, 1, &count, &err), SHMSTATE_E_INVALID, &err);
  shmstate_segment_close(seg);
}

static void attach_to_an_unlinked_segment_is_e_noent(void) {
  const char* name;
  shmstate_segment* seg = make("unlinked", &name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK_CODE(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err),
             SHMSTATE_E_NOENT, &err);
  CHECK(harness_contains(err.message, "was unlinked"));
  /* Another segment under the name is not this one. */
  shmstate_segment* other = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, NULL, 0, &other, &err), &err);
  CHECK_CODE(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err),
             SHMSTATE_E_NOENT, &err);
  CHECK(harness_contains(err.message, "now names another segment"));
  shmstate_segment_close(other);
  shmstate_segment_close(seg);
}

static int count_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 4096; fd++) n += fcntl(fd, F_GETFD) != -1;
  return n;
}

static void attach_and_detach_leave_no_descriptor(void) {
  const char* name;
  shmstate_segment* seg = make("fds", &name);
  if (seg == NULL) return;
  shmstate_error err;
  int before = count_fds();
  for (int i = 0; i < 1000; i++) {
    if (shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err) !=
        SHMSTATE_OK) {
      CHECKF(0, "attach %d: %s", i, err.message);
      break;
    }
    if (i == 0) CHECK(count_fds() == before + 1); /* attached: one descriptor */
    shmstate_attachment got[MAX_LIST];
    size_t count = 0;
    if (i % 100 == 0) shmstate_segment_attached(seg, got, MAX_LIST, &count, &err);
    shmstate_segment_detach(seg);
  }
  CHECK(count_fds() == before);
  shmstate_segment_close(seg);
}

static void set_role_changes_the_entry_in_place(void) {
  const char* name;
  shmstate_segment* seg = make("role", &name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK(shmstate_segment_set_role(seg, SHMSTATE_ROLE_WRITER, &err) == SHMSTATE_E_INVALID);
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_NODE, &err), &err);
  shmstate_attachment before[MAX_LIST], after[MAX_LIST];
  CHECK(list(seg, before) == 1);
  CHECK_OK(shmstate_segment_set_role(seg, SHMSTATE_ROLE_SUBSCRIBER, &err), &err);
  if (CHECK(list(seg, after) == 1)) {
    CHECK(after[0].role == SHMSTATE_ROLE_SUBSCRIBER && after[0].alive == 1 && after[0].self == 1);
    /* The same tenant: nothing but the role moved. */
    CHECK(after[0].index == before[0].index && after[0].token == before[0].token);
    CHECK(after[0].generation == before[0].generation);
    CHECK(after[0].start_ns == before[0].start_ns && after[0].language == SHMSTATE_LANGUAGE_NODE);
  }
  CHECK(shmstate_segment_set_role(seg, (shmstate_role)0, &err) == SHMSTATE_E_INVALID);
  CHECK(shmstate_segment_set_role(seg, (shmstate_role)4, &err) == SHMSTATE_E_INVALID);
  CHECK(shmstate_segment_set_role(NULL, SHMSTATE_ROLE_WRITER, &err) == SHMSTATE_E_INVALID);
  shmstate_segment_detach(seg);
  CHECK(shmstate_segment_set_role(seg, SHMSTATE_ROLE_WRITER, &err) == SHMSTATE_E_INVALID);
  shmstate_segment_close(seg);
}

static void commits_record_their_time(void) {
  int64_t before = realtime_ns();
  const char* name;
  shmstate_segment* seg = make("lastcommit", &name);
  if (seg == NULL) return;
  shmstate_stats st = {0};
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  int64_t created = (int64_t)st.last_commit_ns;
  CHECK(created >= before && created <= realtime_ns());
  CHECK_OK(shmstate_segment_commit(seg, "[1]", 3, 0, NULL, &err), &err);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((int64_t)st.last_commit_ns >= created && (int64_t)st.last_commit_ns <= realtime_ns());
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"attach lists the entry as alive", attach_lists_the_entry_as_alive},
      {"a killed attacher shows dead at the next look",
       a_killed_attacher_shows_dead_at_the_next_look},
      {"a live pid in a dead entry does not make it alive",
       a_live_pid_in_a_dead_entry_does_not_make_it_alive},
      {"a dead entry is reclaimed when the table is otherwise full",
       a_dead_entry_is_reclaimed_when_the_table_is_otherwise_full},
      {"a full table attaches untracked and sets the flag",
       a_full_table_attaches_untracked_and_sets_the_flag},
      {"detach frees the entry", detach_frees_the_entry},
      {"close detaches", close_detaches},
      {"concurrent attachers never share an entry", concurrent_attachers_never_share_an_entry},
      {"damaged entries never crash the lister", damaged_entries_never_crash_the_lister},
      {"an attacher in its own PID namespace is alive while it runs",
       an_attacher_in_its_own_pid_namespace_is_alive_while_it_runs},
      {"a segment without a table attaches untracked",
       a_segment_without_a_table_attaches_untracked},
      {"bad arguments and a second attach are E_INVALID",
       bad_arguments_and_a_second_attach_are_e_invalid},
      {"attach to an unlinked or replaced segment is E_NOENT",
       attach_to_an_unlinked_segment_is_e_noent},
      {"attach and detach leave no descriptor", attach_and_detach_leave_no_descriptor},
      {"set_role changes the entry in place", set_role_changes_the_entry_in_place},
      {"commits record their time", commits_record_their_time},
  };
  return harness_run("attach", cases, sizeof cases / sizeof cases[0]);
}
