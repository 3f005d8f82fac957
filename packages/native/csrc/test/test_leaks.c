/* Open and close many times: no file descriptor and no mapping may be left behind. */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static int count_fds(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == NULL) return -1;
  int n = 0;
  while (readdir(dir) != NULL) n++;
  closedir(dir);
  return n;
}

static int count_maps(void) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (f == NULL) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

static void open_close_10000_times_leaks_nothing(void) {
  const char* name = harness_name("leak");
  shmstate_error err;
  shmstate_segment* owner = NULL;
  CHECK_OK(shmstate_segment_create(name, 4096, 0, "{}", 2, &owner, &err), &err);
  /* Warm up once so lazily created runtime mappings are already counted. */
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  shmstate_segment_close(seg);
  int fds = count_fds(), maps = count_maps();
  for (int i = 0; i < 10000; i++) {
    seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
      CHECKF(0, "open %d: %s", i, err.message);
      break;
    }
    shmstate_segment_close(seg);
  }
  /* Failed opens release what they took as well. */
  for (int i = 0; i < 1000; i++) {
    seg = NULL;
    shmstate_segment_open("no_such_segment_for_leak_test", &seg, &err);
  }
  int fds_after = count_fds(), maps_after = count_maps();
  CHECKF(fds_after == fds, "fds %d -> %d", fds, fds_after);
  CHECKF(maps_after == maps, "maps %d -> %d", maps, maps_after);
  shmstate_segment_close(owner);
}

static void create_close_unlink_1000_times_leaks_nothing(void) {
  int fds = count_fds(), maps = count_maps();
  for (int i = 0; i < 1000; i++) {
    char name[64];
    snprintf(name, sizeof name, "leakc_%d_%d", (int)getpid(), i);
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_create(name, 1024, 0, "x", 1, &seg, &err) != SHMSTATE_OK) {
      CHECKF(0, "create %d: %s", i, err.message);
      break;
    }
    shmstate_segment_close(seg);
    shmstate_segment_unlink(name, &err);
  }
  CHECK(count_fds() == fds);
  CHECK(count_maps() == maps);
}

int main(void) {
  static const test_case cases[] = {
      {"open/close 10,000 times leaks no fd or mapping", open_close_10000_times_leaks_nothing},
      {"create/close/unlink 1,000 times leaks nothing",
       create_close_unlink_1000_times_leaks_nothing},
  };
  return harness_run("leaks", cases, sizeof cases / sizeof cases[0]);
}
