/*
 * Doorbell socket files of this process, removed when it exits without closing them.
 *
 * A subscriber's path socket (docs/protocol.md, "Doorbell sockets") is removed by the
 * subscriber when it closes its doorbell. A process that ends with exit() while still
 * subscribed (Node's process.exit() in a SIGTERM handler, Python's sys.exit() in a thread
 * that never closes its store) skips that: the kernel closes the socket, but its file stays
 * in /dev/shm until a writer of the same uid finds it dead, the entry is claimed again, or
 * `shmstate doctor --clean` runs. So every bound path is listed here, and an atexit handler
 * removes those still listed. A kill (SIGKILL) still leaves the file to those cleaners.
 *
 * Each path is listed with the pid that bound it: a child made by fork() inherits the list
 * but not the right to remove its parent's files.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorbell.h"

typedef struct bound_path {
  struct bound_path* next;
  pid_t pid;
  char path[sizeof(((struct sockaddr_un*)0)->sun_path)];
} bound_path;

static pthread_mutex_t paths_lock = PTHREAD_MUTEX_INITIALIZER;
static bound_path* paths;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void remove_listed_paths(void) {
  /* exit() may run while another thread holds the lock (it is only held for a list edit):
   * then this exit leaves the files to the other cleaners rather than wait for it. */
  if (pthread_mutex_trylock(&paths_lock) != 0) return;
  pid_t self = getpid();
  for (bound_path* p = paths; p != NULL; p = p->next) {
    if (p->pid == self) unlink(p->path);
  }
  pthread_mutex_unlock(&paths_lock);
}

static void register_handler(void) { atexit(remove_listed_paths); }

void shmstate_doorbell_exit_track(const char* path) {
  pthread_once(&handler_once, register_handler);
  bound_path* p = calloc(1, sizeof *p);
  if (p == NULL) return; /* only the exit-time cleanup is lost */
  p->pid = getpid();
  strncpy(p->path, path, sizeof p->path - 1);
  pthread_mutex_lock(&paths_lock);
  p->next = paths;
  paths = p;
  pthread_mutex_unlock(&paths_lock);
}

void shmstate_doorbell_exit_untrack(const char* path) {
  pthread_mutex_lock(&paths_lock);
  for (bound_path** at = &paths; *at != NULL; at = &(*at)->next) {
    if (strcmp((*at)->path, path) == 0) {
      bound_path* gone = *at;
      *at = gone->next;
      free(gone);
      break;
    }
  }
  pthread_mutex_unlock(&paths_lock);
}
