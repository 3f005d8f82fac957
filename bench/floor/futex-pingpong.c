/*
 * The floor: the fastest one-way notification this machine can do between two processes.
 * A publisher process stamps CLOCK_MONOTONIC, writes a payload into shared memory, bumps a
 * futex word and wakes; a subscriber process blocked in FUTEX_WAIT wakes, copies the payload
 * and records now - stamp; then it acks through a second futex so the next round starts
 * from idle (as in the shmstate latency benchmark). Both processes sleep in the kernel
 * between rounds, like a real subscriber: no spinning.
 *
 * Both sides run unpinned by default, like every other path of bench/latency.mjs; "pin"
 * puts the publisher on CPU 0 and the subscriber on CPU 1 (a guaranteed cross-CPU wake).
 *
 *   futex-pingpong <rounds> <payload bytes> [warmup rounds] [gap us] [pin]
 *     -> one JSON line: rounds, payload and percentiles in microseconds (nearest rank)
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  _Atomic uint32_t publish_word; /* bumped by the publisher each round */
  _Atomic uint32_t ack_word;     /* bumped by the subscriber after each round */
  _Atomic uint64_t stamp_ns;
  uint64_t latency_ns[]; /* written by the subscriber, read after it exits */
} shared_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Shared (not private) futexes: the two sides are different processes. */
static void futex_wait(_Atomic uint32_t* word, uint32_t seen) {
  while (atomic_load(word) == seen) {
    syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
  }
}

static void futex_wake(_Atomic uint32_t* word) {
  syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
  sched_setaffinity(0, sizeof set, &set);
}

/* Nearest rank, as bench/lib/stats.mjs computes it for every other path. */
static double percentile_us(const uint64_t* sorted, size_t count, double q) {
  size_t rank = (size_t)ceil(q * (double)count);
  rank = rank == 0 ? 0 : rank - 1;
  if (rank >= count) rank = count - 1;
  return (double)sorted[rank] / 1000.0;
}

static int compare_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  size_t rounds = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
  size_t payload = argc > 2 ? strtoull(argv[2], NULL, 10) : 1024;
  size_t warmup = argc > 3 ? strtoull(argv[3], NULL, 10) : 200;
  unsigned gap_us = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 20;
  int pinned = argc > 5 && strcmp(argv[5], "pin") == 0;
  size_t total = warmup + rounds;
  if (rounds == 0 || payload == 0) return 2;
  shared_t* shared = mmap(NULL, sizeof(shared_t) + total * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned char* slot =
      mmap(NULL, payload, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned char *source = malloc(payload), *copy = malloc(payload);
  if (shared == MAP_FAILED || slot == MAP_FAILED || !source || !copy) return 1;
  memset(source, 'x', payload);

  pid_t child = fork();
  if (child == 0) { /* subscriber, on the other CPU */
    if (pinned) pin(1);
    for (size_t i = 0; i < total; i++) {
      futex_wait(&shared->publish_word, (uint32_t)i);
      memcpy(copy, slot, payload);
      shared->latency_ns[i] = now_ns() - atomic_load(&shared->stamp_ns);
      atomic_fetch_add(&shared->ack_word, 1);
      futex_wake(&shared->ack_word);
    }
    _exit(copy[0] == 'x' ? 0 : 1);
  }
  if (pinned) pin(0);
  for (size_t i = 0; i < total; i++) {
    if (gap_us) usleep(gap_us); /* let the subscriber fall asleep, as between real commits */
    atomic_store(&shared->stamp_ns, now_ns());
    memcpy(slot, source, payload);
    atomic_fetch_add(&shared->publish_word, 1);
    futex_wake(&shared->publish_word);
    futex_wait(&shared->ack_word, (uint32_t)i);
  }
  int status = 0;
  waitpid(child, &status, 0);
  uint64_t* measured = shared->latency_ns + warmup; /* warm-up rounds are not counted */
  qsort(measured, rounds, sizeof(uint64_t), compare_u64);
  double sum = 0;
  for (size_t i = 0; i < rounds; i++) sum += (double)measured[i];
  printf(
      "{\"count\":%zu,\"payload\":%zu,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"min\":%.3f,"
      "\"max\":%.3f,\"mean\":%.3f}\n",
      rounds, payload, percentile_us(measured, rounds, 0.5), percentile_us(measured, rounds, 0.99),
      percentile_us(measured, rounds, 0.999), measured[0] / 1000.0, measured[rounds - 1] / 1000.0,
      sum / rounds / 1000.0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
