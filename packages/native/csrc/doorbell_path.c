/*
 * Doorbell sockets as files next to the segment (SHMSTATE_COMPAT_DOORBELL_PATHS): a path
 * socket is found through the filesystem, so a writer reaches it from any network
 * namespace that sees the same /dev/shm (containers sharing it with --ipc=host, a shared
 * tmpfs volume), where an abstract name is private to one network namespace.
 *
 * Naming: "/dev/shm/shmstate-bell.<store id, 16 hex>.<token, 16 hex>", 56 bytes whatever
 * the store's name (sun_path holds 108), and never a store's file: those are
 * "shmstate.<name>", and a store name cannot contain '/', so "shmstate-" is never theirs.
 * The random token makes the name unguessable before the subscriber binds it.
 *
 * Cleanup rule, for every cleaner (the subscriber at close, the writer that frees a dead
 * subscriber's entry, the next subscriber claiming that entry, a registrant reclaiming dead
 * entries, `shmstate doctor`): remove a doorbell file only if it is a socket, owned by the
 * cleaner's effective uid, and refuses a byte (nothing is bound to it). /dev/shm is sticky,
 * so another uid's socket could not be removed anyway; a root cleaner follows the same rule,
 * so nobody removes what another user put there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doorbell.h"

#define SHM_DIR "/dev/shm"
#define PATH_PREFIX "shmstate-bell."

_Static_assert(sizeof SHM_DIR "/" PATH_PREFIX "0123456789abcdef.0123456789abcdef" <=
                   sizeof((struct sockaddr_un*)0)->sun_path,
               "a doorbell path fits sun_path");

void shmstate_doorbell_path_address(const shmstate_segment* seg, uint64_t token,
                                    shmstate_doorbell_address* out) {
  memset(&out->sun, 0, sizeof out->sun);
  out->sun.sun_family = AF_UNIX;
  int n = snprintf(out->sun.sun_path, sizeof out->sun.sun_path,
                   SHM_DIR "/" PATH_PREFIX "%016" PRIx64 ".%016" PRIx64, seg->store_id, token);
  out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
}

/* The segment file's owner, group and mode, if the name still leads to our segment. */
static int segment_file(const shmstate_segment* seg, struct stat* st) {
  char path[sizeof SHM_DIR + sizeof SHMSTATE_SEGMENT_PREFIX + SHMSTATE_NAME_MAX];
  snprintf(path, sizeof path, SHM_DIR "%s%s", SHMSTATE_SEGMENT_PREFIX, seg->name);
  if (stat(path, st) != 0) return 0;
  return (uint64_t)st->st_dev == seg->shm_dev && (uint64_t)st->st_ino == seg->shm_ino;
}

/* The segment's ownership and mode rules, on the socket: whoever may write the segment
 * may ring its subscribers. Group and permission bits are copied (owner read/write
 * always); a root subscriber also hands the file to the segment's owner. Best effort: a
 * subscriber outside the segment's group keeps its own group, and writers reach it only
 * through the bits that apply to them (docs/protocol.md, "Doorbells"). */
static void share_like_segment(const shmstate_segment* seg, const char* path) {
  struct stat st;
  mode_t mode = 0600;
  if (segment_file(seg, &st)) {
    mode |= st.st_mode & 0066;
    uid_t owner = geteuid() == 0 ? st.st_uid : (uid_t)-1;
    if (fchownat(AT_FDCWD, path, owner, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      /* Not in the segment's group: the socket keeps ours; the mode still applies. */
    }
  }
  if (chmod(path, mode) != 0) {
    /* The file is ours and just made; a failure leaves the mode bind gave it. */
  }
}

int shmstate_doorbell_bind_path(const shmstate_segment* seg, int fd, uint64_t token,
                                shmstate_error* err) {
  shmstate_doorbell_address at;
  shmstate_doorbell_path_address(seg, token, &at);
  if (bind(fd, (const struct sockaddr*)&at.sun, at.len) == 0) {
    share_like_segment(seg, at.sun.sun_path);
    return shmstate_ok(err);
  }
  int e = errno;
  struct stat st;
  if (e == EADDRINUSE && lstat(at.sun.sun_path, &st) == 0) {
    /* Squatted (or a token clash): the file is someone else's business; leave it alone. */
    return shmstate_fail(err, SHMSTATE_E_PERM, e,
                         "the doorbell socket path %s is taken by uid %u (a %s); it is left "
                         "as it is",
                         at.sun.sun_path, (unsigned)st.st_uid,
                         S_ISSOCK(st.st_mode) ? "socket" : "file that is not a socket");
  }
  return shmstate_fail_errno(err, e, "cannot bind the doorbell socket %s", at.sun.sun_path);
}

/* Whether nothing is bound to the socket at `at`. connect, not a sent byte: a live
 * subscriber is not woken by the question. */
static int refused(const shmstate_doorbell_address* at) {
  int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) return 0;
  int dead =
      connect(probe, (const struct sockaddr*)&at->sun, at->len) != 0 && errno == ECONNREFUSED;
  close(probe);
  return dead;
}

int shmstate_doorbell_path_remove_dead(const shmstate_doorbell_address* at) {
  struct stat st;
  if (lstat(at->sun.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
    return 0;
  }
  return refused(at) && unlink(at->sun.sun_path) == 0;
}

void shmstate_doorbell_forget(const shmstate_segment* seg, uint64_t control, uint64_t address,
                              uint64_t token) {
  if (!doorbell_listens_on_path(control, address)) return;
  shmstate_doorbell_address at;
  shmstate_doorbell_path_address(seg, token, &at);
  shmstate_doorbell_path_remove_dead(&at);
}

int shmstate_doorbell_sockets_sweep(int remove, shmstate_doorbell_sweep* out, shmstate_error* err) {
  if (out == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "sweep output is NULL");
  *out = (shmstate_doorbell_sweep){0};
  DIR* dir = opendir(SHM_DIR);
  if (dir == NULL) return shmstate_fail_errno(err, errno, "cannot list " SHM_DIR);
  struct dirent* d;
  while ((d = readdir(dir)) != NULL) {
    if (strncmp(d->d_name, PATH_PREFIX, sizeof PATH_PREFIX - 1) != 0) continue;
    shmstate_doorbell_address at;
    memset(&at.sun, 0, sizeof at.sun);
    at.sun.sun_family = AF_UNIX;
    int n = snprintf(at.sun.sun_path, sizeof at.sun.sun_path, SHM_DIR "/%s", d->d_name);
    if (n < 0 || (size_t)n >= sizeof at.sun.sun_path) continue; /* not a name we make */
    at.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
    struct stat st;
    if (lstat(at.sun.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    out->sockets++;
    if (!refused(&at)) continue; /* a live subscriber's */
    out->dead++;
    if (st.st_uid != geteuid()) {
      out->dead_foreign++;
    } else if (remove && shmstate_doorbell_path_remove_dead(&at)) {
      out->removed++;
    }
  }
  closedir(dir);
  return shmstate_ok(err);
}
