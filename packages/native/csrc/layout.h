/*
 * The segment layout, byte by byte. docs/protocol.md is the prose of this file; every
 * offset below is pinned by a _Static_assert so the two cannot drift apart.
 *
 * All integers are little-endian (the core refuses to build big-endian). The segment is
 * one header page followed by two slots; the published version names the current slot
 * (slot = version & 1), and a writer only ever writes the other one (the "latch", a
 * double-buffered seqlock).
 *
 *   0      header page (SHMSTATE_HEADER_SIZE bytes); its doorbell table at 512..2559
 *   4096   slot 0: slot header (64 bytes) + data (data_stride bytes)
 *   ...    slot 1: slot header (64 bytes) + data (data_stride bytes)
 */
#ifndef SHMSTATE_LAYOUT_H
#define SHMSTATE_LAYOUT_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "shmstate's segment layout is little-endian"
#endif

#define SHMSTATE_MAGIC 0x31544154534d4853ull /* the bytes "SHMSTAT1" */
#define SHMSTATE_LAYOUT_VERSION 1u
#define SHMSTATE_HEADER_SIZE 4096u
#define SHMSTATE_SLOT_HEADER_SIZE 64u
#define SHMSTATE_SEGMENT_PREFIX "/shmstate."

/* Immutable after creation; covered by header_checksum. */
typedef struct shmstate_header_fixed {
  _Atomic uint64_t magic;   /*  0: written last at create (release): init is complete */
  uint32_t layout_version;  /*  8 */
  uint32_t header_size;     /* 12: SHMSTATE_HEADER_SIZE */
  uint64_t capacity;        /* 16: largest payload in bytes */
  uint64_t data_stride;     /* 24: capacity rounded up to 64 */
  uint64_t slot_offset[2];  /* 32, 40: byte offsets of the slot headers */
  uint64_t segment_size;    /* 48: total bytes, a multiple of 4096 */
  uint32_t header_checksum; /* 56: CRC32C of bytes 8..55 */
  uint32_t reserved0;       /* 60 */
} shmstate_header_fixed;

/* Doorbell entries in the header (doorbell.c, docs/protocol.md "Doorbells"). */
#define SHMSTATE_DOORBELL_ENTRIES 64u
#define SHMSTATE_DOORBELL_FREE 0u     /* nobody; pid 0 */
#define SHMSTATE_DOORBELL_DISARMED 1u /* registered; a writer does not ring it */
#define SHMSTATE_DOORBELL_ARMED 2u    /* registered; the next commit rings it (once) */

/* One registered subscriber process. `control` packs, little-endian, bytes 0..3: state in
 * bits 0..1 and a generation in bits 2..31 (bumped by every claim, so a compare-and-swap
 * that read an older tenant fails: no ABA); bytes 4..7: the subscriber's pid. Packing the
 * pid with the state lets every transition move both in one atomic step. */
typedef struct shmstate_doorbell_entry {
  _Atomic uint64_t control; /*  0: state | generation << 2 | pid << 32 */
  _Atomic uint64_t token;   /*  8: random; with the pid it names the subscriber's socket */
  _Atomic uint64_t rings;   /* 16: doorbells sent to this entry, for inspection */
  uint64_t reserved;        /* 24 */
} shmstate_doorbell_entry;

typedef struct shmstate_header {
  shmstate_header_fixed fixed; /* 0..63 */

  /* 64: writer lock, a robust process-shared pthread mutex (40 bytes on glibc x86_64). */
  alignas(64) union {
    pthread_mutex_t mutex;
    unsigned char pad[64];
  } writer_lock;

  /* 128: the published version; its own cache line, read by every reader. */
  alignas(64) _Atomic uint64_t version;

  /* 192: notification. futex_word is bumped on every publish; waiters counts threads
   * blocked (or about to block) on it, so a commit with no waiter makes no syscall. */
  alignas(64) _Atomic uint32_t futex_word;
  _Atomic uint32_t waiters;

  /* 256: writer-side statistics, written only under the writer lock. */
  alignas(64) _Atomic uint64_t stat_commits;
  _Atomic uint64_t stat_conflicts;
  _Atomic uint64_t stat_lock_recoveries;

  /* 320: doorbells (doorbell.c). doorbell_count is the number of entries that are not
   * free, so a commit with no doorbell subscriber scans nothing; doorbell_reclaims counts
   * entries freed because their subscriber died without unregistering. Both are written by
   * writers and subscribers alike, with atomic read-modify-writes. */
  alignas(64) _Atomic uint32_t doorbell_count;
  uint32_t reserved1;
  _Atomic uint64_t doorbell_reclaims;
  /* Explicit padding rather than alignas(512): the header's alignment stays 64, so a copy
   * of it in an ordinary buffer is still aligned. */
  unsigned char reserved2[512 - 336];

  /* 512: the doorbell table, one entry per subscribing process and segment. */
  shmstate_doorbell_entry doorbells[SHMSTATE_DOORBELL_ENTRIES];
} shmstate_header;

/* One slot's header; the payload follows at slot_offset + SHMSTATE_SLOT_HEADER_SIZE. */
typedef struct shmstate_slot_header {
  _Atomic uint64_t seq;      /* 0: odd while a writer writes this slot */
  _Atomic uint64_t version;  /* 8: version whose payload this slot holds */
  _Atomic uint64_t length;   /* 16: payload bytes */
  _Atomic uint32_t checksum; /* 24: CRC32C of the payload */
  uint32_t reserved0;        /* 28 */
  unsigned char reserved[32];
} shmstate_slot_header;

_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 is 8 bytes");
_Static_assert(offsetof(shmstate_header_fixed, magic) == 0, "magic at 0");
_Static_assert(offsetof(shmstate_header_fixed, layout_version) == 8, "layout_version at 8");
_Static_assert(offsetof(shmstate_header_fixed, header_size) == 12, "header_size at 12");
_Static_assert(offsetof(shmstate_header_fixed, capacity) == 16, "capacity at 16");
_Static_assert(offsetof(shmstate_header_fixed, data_stride) == 24, "data_stride at 24");
_Static_assert(offsetof(shmstate_header_fixed, slot_offset) == 32, "slot_offset at 32");
_Static_assert(offsetof(shmstate_header_fixed, segment_size) == 48, "segment_size at 48");
_Static_assert(offsetof(shmstate_header_fixed, header_checksum) == 56, "checksum at 56");
_Static_assert(sizeof(shmstate_header_fixed) == 64, "fixed header is 64 bytes");
_Static_assert(offsetof(shmstate_header, writer_lock) == 64, "writer_lock at 64");
_Static_assert(sizeof(pthread_mutex_t) <= 64, "mutex fits its 64 bytes");
_Static_assert(offsetof(shmstate_header, version) == 128, "version at 128");
_Static_assert(offsetof(shmstate_header, futex_word) == 192, "futex_word at 192");
_Static_assert(offsetof(shmstate_header, waiters) == 196, "waiters at 196");
_Static_assert(offsetof(shmstate_header, stat_commits) == 256, "stat_commits at 256");
_Static_assert(offsetof(shmstate_header, stat_conflicts) == 264, "stat_conflicts at 264");
_Static_assert(offsetof(shmstate_header, stat_lock_recoveries) == 272, "recoveries at 272");
_Static_assert(offsetof(shmstate_header, doorbell_count) == 320, "doorbell_count at 320");
_Static_assert(offsetof(shmstate_header, doorbell_reclaims) == 328, "doorbell_reclaims at 328");
_Static_assert(offsetof(shmstate_header, doorbells) == 512, "doorbell table at 512");
_Static_assert(offsetof(shmstate_doorbell_entry, control) == 0, "entry control at 0");
_Static_assert(offsetof(shmstate_doorbell_entry, token) == 8, "entry token at 8");
_Static_assert(offsetof(shmstate_doorbell_entry, rings) == 16, "entry rings at 16");
_Static_assert(sizeof(shmstate_doorbell_entry) == 32, "doorbell entry is 32 bytes");
_Static_assert(_Alignof(shmstate_header) == 64, "header alignment is a cache line");
_Static_assert(sizeof(shmstate_header) == 512 + 32 * SHMSTATE_DOORBELL_ENTRIES,
               "header ends after the doorbell table (2560)");
_Static_assert(sizeof(shmstate_header) <= SHMSTATE_HEADER_SIZE, "header fits its page");
_Static_assert(offsetof(shmstate_slot_header, seq) == 0, "slot seq at 0");
_Static_assert(offsetof(shmstate_slot_header, version) == 8, "slot version at 8");
_Static_assert(offsetof(shmstate_slot_header, length) == 16, "slot length at 16");
_Static_assert(offsetof(shmstate_slot_header, checksum) == 24, "slot checksum at 24");
_Static_assert(sizeof(shmstate_slot_header) == SHMSTATE_SLOT_HEADER_SIZE, "slot header 64");

#endif /* SHMSTATE_LAYOUT_H */
