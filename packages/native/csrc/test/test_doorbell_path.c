/* Doorbell path sockets (compatible feature bit 1): a subscriber listens on a socket file in
 * /dev/shm with the segment's mode and removes it at close; a killed subscriber's file is
 * removed by the writer that frees its entry, or by the next subscriber claiming the
 * entry, never when another uid owns it; a squatted path is E_PERM and left as it is, and
 * the subscriber falls back to an abstract name; a segment without the bit gets abstract
 * doorbells, and an older build's subscriber is rung by its abstract name whatever the
 * entry held before; a subscriber in another network namespace is rung through its file; the
 * sweep `shmstate doctor` runs removes dead sockets of its own uid only. Cases that need a
 * second uid or a network namespace need root; elsewhere they print "not run here". */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doorbell.h"
#include "harness.h"
#include "internal.h"

#define OTHER_UID 65534

static int as_root(void) {
  if (geteuid() == 0) return 1;
  printf("    (not run here: needs root for a second uid or a namespace; uid %u)\n",
         (unsigned)geteuid());
  return 0;
}

static shmstate_segment* make(const char* tag, uint32_t mode) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(harness_name(tag), 64, mode, "0", 1, &seg, &err), &err);
  return seg;
}

static void commit(shmstate_segment* seg) {
  shmstate_error err;
  CHECK_OK(shmstate_segment_commit(seg, "1", 1, 0, NULL, &err), &err);
}

static int readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static shmstate_doorbell_entry* entry_of(shmstate_segment* seg, unsigned index) {
  return &shmstate_doorbell_table(seg)[index];
}

/* The socket file entry `index`'s token names on `seg`. */
static void path_of(shmstate_segment* seg, unsigned index, shmstate_doorbell_address* at) {
  shmstate_doorbell_path_address(seg, atomic_load(&entry_of(seg, index)->token), at);
}

static int exists(const shmstate_doorbell_address* at) {
  struct stat st;
  return lstat(at->sun.sun_path, &st) == 0;
}

static shmstate_doorbell_info info_of(shmstate_segment* seg, unsigned index) {
  shmstate_doorbell_info all[SHMSTATE_DOORBELL_MAX];
  size_t count = 0;
  shmstate_error err;
  CHECK_OK(shmstate_segment_doorbells(seg, all, SHMSTATE_DOORBELL_MAX, &count, &err), &err);
  for (size_t i = 0; i < count; i++) {
    if (all[i].index == index) return all[i];
  }
  return (shmstate_doorbell_info){.index = index};
}

/* A child registers and is killed with SIGKILL, as a container's process is. */
static void register_and_get_killed(shmstate_segment* seg) {
  int ready[2];
  if (pipe(ready) != 0) return;
  int pid = fork();
  if (pid == 0) {
    shmstate_doorbell* bell = NULL;
    shmstate_error cerr;
    char ok = shmstate_doorbell_open(seg, &bell, &cerr) == SHMSTATE_OK ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char ok = 0;
  CHECK(read(ready[0], &ok, 1) == 1 && ok == 'y');
  kill(pid, SIGKILL);
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  close(ready[0]);
  close(ready[1]);
}

static void a_subscriber_listens_on_a_file_with_the_segments_mode(void) {
  shmstate_segment* seg = make("file", 0640);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  if (bell == NULL) return shmstate_segment_close(seg);
  shmstate_doorbell_address at;
  path_of(seg, 0, &at);
  CHECK(strlen(at.sun.sun_path) == strlen("/dev/shm/shmstate-bell.") + 16 + 1 + 16);
  struct stat st;
  CHECK(lstat(at.sun.sun_path, &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECKF((st.st_mode & 07777) == 0640, "mode 0%o", (unsigned)(st.st_mode & 07777));
  CHECK(st.st_uid == geteuid());
  CHECK(info_of(seg, 0).path == 1);
  commit(seg);
  CHECK(readable(shmstate_doorbell_fd(bell), 1000));
  CHECK(info_of(seg, 0).rings == 1);
  shmstate_doorbell_close(bell);
  CHECK(!exists(&at));
  shmstate_segment_close(seg);
}

static void a_writer_removes_a_killed_subscribers_file(void) {
  shmstate_segment* seg = make("killed", 0);
  if (seg == NULL) return;
  register_and_get_killed(seg);
  shmstate_doorbell_address at;
  path_of(seg, 0, &at);
  CHECK(exists(&at)); /* the kernel closed the socket; the file stays */
  commit(seg);        /* the byte is refused: the writer frees the entry and the file */
  CHECK(!exists(&at));
  CHECK(info_of(seg, 0).state == 0);
  shmstate_stats stats;
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &stats, &err), &err);
  CHECK(stats.doorbells == 0 && stats.doorbell_reclaims == 1);
  shmstate_segment_close(seg);
}

/* What a writer of another uid does with a dead subscriber: free the entry (it may not
 * remove the file in sticky /dev/shm). */
static void free_without_removing(shmstate_segment* seg, unsigned index) {
  shmstate_doorbell_entry* entry = entry_of(seg, index);
  uint64_t control = atomic_load(&entry->control);
  CHECK(shmstate_doorbell_free(seg->hdr, entry, control, 1) == 1);
}

static void the_next_claimer_removes_the_file_a_killed_tenant_left(void) {
  shmstate_segment* seg = make("claimer", 0);
  if (seg == NULL) return;
  register_and_get_killed(seg);
  shmstate_doorbell_address at;
  path_of(seg, 0, &at);
  free_without_removing(seg, 0);
  CHECK(exists(&at));
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err); /* claims entry 0 again */
  CHECK(!exists(&at));
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void another_users_dead_file_is_left_alone(void) {
  if (!as_root()) return;
  shmstate_segment* seg = make("foreign", 0);
  if (seg == NULL) return;
  register_and_get_killed(seg);
  shmstate_doorbell_address at;
  path_of(seg, 0, &at);
  CHECK(chown(at.sun.sun_path, OTHER_UID, OTHER_UID) == 0);
  commit(seg); /* frees the entry; the file is not ours to remove */
  CHECK(info_of(seg, 0).state == 0);
  CHECK(exists(&at));
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err); /* the next claimer neither */
  CHECK(exists(&at));
  shmstate_doorbell_sweep sweep;
  CHECK_OK(shmstate_doorbell_sockets_sweep(1, &sweep, &err), &err); /* nor the sweep */
  CHECK(exists(&at));
  CHECK(sweep.dead_foreign >= 1);
  shmstate_doorbell_close(bell);
  unlink(at.sun.sun_path);
  shmstate_segment_close(seg);
}

static void a_squatted_path_is_e_perm_and_the_bell_falls_back(void) {
  if (!as_root()) return;
  shmstate_segment* seg = make("squat", 0);
  if (seg == NULL) return;
  const uint64_t token = 0x5157415454454421ull;
  seg->test_doorbell_token = token; /* every token this handle draws: the squatted one */
  shmstate_doorbell_address at;
  shmstate_doorbell_path_address(seg, token, &at);
  int file = open(at.sun.sun_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  CHECK(file >= 0);
  CHECK(fchown(file, OTHER_UID, OTHER_UID) == 0);
  CHECK(write(file, "mine", 4) == 4);
  close(file);
  struct stat before;
  CHECK(lstat(at.sun.sun_path, &before) == 0);

  shmstate_error err;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CHECK_CODE(shmstate_doorbell_bind_path(seg, fd, token, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "taken by uid 65534") &&
             harness_contains(err.message, at.sun.sun_path),
         "message: %s", err.message);
  close(fd);

  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  CHECK(info_of(seg, 0).path == 0); /* an abstract name: this namespace's writers ring it */
  commit(seg);
  if (bell != NULL) CHECK(readable(shmstate_doorbell_fd(bell), 1000));
  shmstate_doorbell_close(bell);

  struct stat after;
  CHECK(lstat(at.sun.sun_path, &after) == 0);
  CHECK(after.st_ino == before.st_ino && after.st_uid == OTHER_UID && after.st_size == 4);
  unlink(at.sun.sun_path);
  shmstate_segment_close(seg);
}

static void a_segment_without_the_bit_gets_abstract_doorbells(void) {
  shmstate_segment* seg = make("oldbit", 0);
  if (seg == NULL) return;
  /* As an older creator made it: the bit clear, the checksum recomputed. */
  shmstate_header_fixed* fixed = &seg->hdr->fixed;
  fixed->compat_features &= ~SHMSTATE_COMPAT_DOORBELL_PATHS;
  fixed->header_checksum = shmstate_header_checksum(fixed);
  shmstate_error err;
  shmstate_segment* again = NULL;
  CHECK_OK(shmstate_segment_open(seg->name, &again, &err), &err);
  shmstate_doorbell* bell = NULL;
  if (again != NULL) CHECK_OK(shmstate_doorbell_open(again, &bell, &err), &err);
  if (bell != NULL) {
    CHECK(info_of(seg, 0).path == 0);
    shmstate_doorbell_address at;
    path_of(seg, 0, &at);
    CHECK(!exists(&at));
    commit(seg);
    CHECK(readable(shmstate_doorbell_fd(bell), 1000));
  }
  shmstate_doorbell_close(bell);
  shmstate_segment_close(again);
  shmstate_segment_close(seg);
}

/* An older build's subscriber, step by step as protocol.md had it before bit 1: bind an
 * abstract name, claim an entry, store the token, arm; the address word is left as the
 * previous tenant wrote it. Returns the bound socket. */
static int register_as_older_build(shmstate_segment* seg, unsigned index, uint64_t token) {
  shmstate_doorbell_address at;
  shmstate_doorbell_abstract_address(seg, (uint32_t)getpid(), token, &at);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  CHECK(bind(fd, (const struct sockaddr*)&at.sun, at.len) == 0);
  shmstate_doorbell_entry* entry = entry_of(seg, index);
  uint64_t control = atomic_load(&entry->control);
  CHECK((control & 3) == SHMSTATE_DOORBELL_FREE);
  uint64_t claimed = (((control & DOORBELL_GEN_MASK) + 4) & DOORBELL_GEN_MASK) |
                     (uint64_t)getpid() << 32 | SHMSTATE_DOORBELL_DISARMED;
  CHECK(atomic_compare_exchange_strong(&entry->control, &control, claimed));
  atomic_fetch_add(&seg->hdr->doorbell_count, 1);
  atomic_store(&entry->token, token);
  uint64_t disarmed = claimed;
  CHECK(atomic_compare_exchange_strong(&entry->control, &disarmed,
                                       doorbell_with_state(claimed, SHMSTATE_DOORBELL_ARMED)));
  return fd;
}

static void an_older_builds_subscriber_after_a_path_tenant_is_rung_abstract(void) {
  shmstate_segment* seg = make("older", 0);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  shmstate_doorbell_close(bell); /* entry 0 free again, its address word names a path */
  CHECK(atomic_load(&entry_of(seg, 0)->address) != 0);
  int fd = register_as_older_build(seg, 0, 0x0123456789abcdefull);
  CHECK(info_of(seg, 0).path == 0); /* the stale word names the earlier generation */
  commit(seg);
  CHECK(readable(fd, 1000));
  CHECK(info_of(seg, 0).rings == 1);
  shmstate_doorbell_entry* entry = entry_of(seg, 0); /* it drained and re-arms, */
  uint64_t disarmed = atomic_load(&entry->control);
  CHECK(atomic_compare_exchange_strong(&entry->control, &disarmed,
                                       doorbell_with_state(disarmed, SHMSTATE_DOORBELL_ARMED)));
  close(fd);   /* then dies */
  commit(seg); /* refused now: freed like any dead subscriber */
  CHECK(info_of(seg, 0).state == 0);
  shmstate_segment_close(seg);
}

/* The container case: a subscriber in its own network namespace, sharing /dev/shm. */
static void a_subscriber_in_another_network_namespace_is_rung(void) {
  if (!as_root()) return;
  shmstate_segment* seg = make("netns", 0);
  if (seg == NULL) return;
  int ready[2];
  if (pipe(ready) != 0) return shmstate_segment_close(seg);
  int pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(2);
    shmstate_segment* mine = NULL;
    shmstate_doorbell* bell = NULL;
    shmstate_error cerr;
    if (shmstate_segment_open(seg->name, &mine, &cerr) != SHMSTATE_OK ||
        shmstate_doorbell_open(mine, &bell, &cerr) != SHMSTATE_OK) {
      _exit(3);
    }
    char go = 'y';
    if (write(ready[1], &go, 1) != 1) _exit(4);
    int rung = readable(shmstate_doorbell_fd(bell), 5000);
    shmstate_doorbell_close(bell);
    shmstate_segment_close(mine);
    _exit(rung ? 0 : 5);
  }
  char go = 0;
  CHECK(read(ready[0], &go, 1) == 1 && go == 'y');
  commit(seg);
  /* The raw word: the child may already have been woken and unregistered (a free keeps
   * the count; only the next claim resets it). */
  CHECK(atomic_load(&entry_of(seg, 0)->rings) == 1);
  CHECK(harness_wait_child(pid) == 0);
  close(ready[0]);
  close(ready[1]);
  shmstate_segment_close(seg);
}

/* A socket file bound and closed at once: dead, as a killed subscriber leaves it. */
static void dead_socket(const char* path) {
  shmstate_doorbell_address at;
  memset(&at.sun, 0, sizeof at.sun);
  at.sun.sun_family = AF_UNIX;
  snprintf(at.sun.sun_path, sizeof at.sun.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CHECK(bind(fd, (const struct sockaddr*)&at.sun, sizeof at.sun) == 0);
  close(fd);
}

static void the_sweep_removes_dead_sockets_of_its_own_uid(void) {
  char mine[108], live_path[108];
  snprintf(mine, sizeof mine, "/dev/shm/shmstate-bell.%016x.dead", (unsigned)getpid());
  dead_socket(mine);
  shmstate_segment* seg = make("sweep", 0);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* live = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &live, &err), &err);
  shmstate_doorbell_address at;
  path_of(seg, 0, &at);
  snprintf(live_path, sizeof live_path, "%s", at.sun.sun_path);
  shmstate_doorbell_sweep sweep;
  CHECK_OK(shmstate_doorbell_sockets_sweep(0, &sweep, &err), &err);
  CHECK(sweep.sockets >= 2 && sweep.dead >= 1 && sweep.removed == 0);
  CHECK(access(mine, F_OK) == 0);
  CHECK_OK(shmstate_doorbell_sockets_sweep(1, &sweep, &err), &err);
  CHECK(sweep.removed >= 1);
  CHECK(access(mine, F_OK) != 0);
  CHECK(access(live_path, F_OK) == 0); /* a live subscriber's file stays */
  commit(seg);
  CHECK(readable(shmstate_doorbell_fd(live), 1000)); /* and it is still rung */
  shmstate_doorbell_close(live);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"a subscriber listens on a socket file with the segment's mode; close removes it",
       a_subscriber_listens_on_a_file_with_the_segments_mode},
      {"a writer frees a killed subscriber's entry and removes its file",
       a_writer_removes_a_killed_subscribers_file},
      {"the next subscriber claiming the entry removes the file a killed tenant left",
       the_next_claimer_removes_the_file_a_killed_tenant_left},
      {"another uid's dead socket file is left alone by writer, claimer and sweep",
       another_users_dead_file_is_left_alone},
      {"a squatted path is E_PERM and left as it is; the doorbell falls back to abstract",
       a_squatted_path_is_e_perm_and_the_bell_falls_back},
      {"a segment without the feature bit gets abstract doorbells",
       a_segment_without_the_bit_gets_abstract_doorbells},
      {"an older build's subscriber on an entry a path tenant left is rung by its abstract name",
       an_older_builds_subscriber_after_a_path_tenant_is_rung_abstract},
      {"a subscriber in another network namespace is rung through its socket file",
       a_subscriber_in_another_network_namespace_is_rung},
      {"the sweep removes dead sockets of its own uid, never a live one",
       the_sweep_removes_dead_sockets_of_its_own_uid},
  };
  return harness_run("doorbell_path", cases, sizeof cases / sizeof cases[0]);
}
