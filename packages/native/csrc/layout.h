/*
 * The segment layout (layout 2), byte by byte. docs/protocol.md is the prose of this file;
 * every offset below is pinned by a _Static_assert so the two cannot drift apart.
 *
 * All integers are little-endian (the core refuses to build big-endian). The segment is a
 * self-describing header followed by the regions its region table names. A creator today
 * lays them out as:
 *
 *   0      header (SHMSTATE_HEADER_SIZE bytes): fixed part 0..511 (immutable, checksummed,
 *          with the region table), then the live words (lock, version, slot index, ...)
 *   2048   region DOORBELLS: the doorbell table, 64 entries of 32 bytes
 *   4096   region SLOT0: slot header (64 bytes) + data (data_stride bytes)
 *   ...    region SLOT1: slot header (64 bytes) + data (data_stride bytes)
 *   ...    region PATCH_RING (only with incompatible feature bit 0): ring header (64 bytes)
 *          + entry_count entries of entry_stride bytes (entry header 64 + patch)
 *   ...    region ATTACH (with compatible feature bit 0): 128 entries of 64 bytes
 *
 * but a reader finds every region through the table, never by these numbers. The
 * published `current_slot` names the slot that holds the full state; a writer only ever
 * writes the other one (the "latch", a double-buffered seqlock). With a patch ring that
 * state is a checkpoint at or below the published version, and the ring holds every patch
 * after it (patch_ring.c, docs/protocol.md "The patch ring").
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

#define SHMSTATE_MAGIC 0x31544154534d4853ull /* the bytes "SHMSTAT1", in every layout */
#define SHMSTATE_LAYOUT_VERSION 2u
#define SHMSTATE_HEADER_SIZE 2048u
#define SHMSTATE_FIXED_SIZE 512u
#define SHMSTATE_SLOT_HEADER_SIZE 64u
#define SHMSTATE_SEGMENT_PREFIX "/shmstate."
#define SHMSTATE_LEADER_TEXT_SIZE 256u /* a mirror's leader description, at most */

/* Region kinds. A reader ignores a kind it does not know (after checking that the entry
 * lies inside the segment and overlaps nothing); a region that changes how known bytes
 * are read comes with an incompatible feature bit. */
#define SHMSTATE_REGION_NONE 0u
#define SHMSTATE_REGION_SLOT0 1u
#define SHMSTATE_REGION_SLOT1 2u
#define SHMSTATE_REGION_DOORBELLS 3u
#define SHMSTATE_REGION_PATCH_RING 4u /* with SHMSTATE_INCOMPAT_PATCH_RING, never without */
#define SHMSTATE_REGION_ATTACH 5u     /* with SHMSTATE_COMPAT_ATTACH, never without */
#define SHMSTATE_REGION_MAX 8u        /* entries in the table */
#define SHMSTATE_REGION_ALIGN 64u

/* Feature bits. Compatible: a reader that does not know one may ignore it. Incompatible:
 * a reader that does not know one refuses the segment with E_VERSION, naming the bit.
 * The masks list the bits this build knows. */
/* Compatible bit 0: the segment has an ATTACH region (attach.c), the table of attached
 * processes. Set exactly when the table lists the region. A reader that does not know it
 * ignores both the bit and the region: it reads and writes the state all the same. */
#define SHMSTATE_COMPAT_ATTACH (1ull << 0)
/* Compatible bit 1: doorbell subscribers listen on path sockets in /dev/shm, next to the
 * segment (doorbell_path.c), so a writer in another network namespace reaches them. Set by
 * every creator of this build: it says "this segment's writers can ring a path socket",
 * since its entries' `address` word says which kind each subscriber has. A build that does
 * not know the bit ignores it: its subscribers listen on abstract sockets as before (a new
 * writer rings those too), and its writers ring abstract names, so a path subscriber they
 * find is refused and freed, exactly like a subscriber in another network namespace
 * today (docs/protocol.md "Doorbells", mixed versions). */
#define SHMSTATE_COMPAT_DOORBELL_PATHS (1ull << 1)
#define SHMSTATE_COMPAT_KNOWN (SHMSTATE_COMPAT_ATTACH | SHMSTATE_COMPAT_DOORBELL_PATHS)
/* Bit 0: the segment has a PATCH_RING region, and the current slot holds a checkpoint that
 * may lag the published version (the patches after it are in the ring). Set exactly when
 * the table lists the region. */
#define SHMSTATE_INCOMPAT_PATCH_RING (1ull << 0)
#define SHMSTATE_INCOMPAT_KNOWN SHMSTATE_INCOMPAT_PATCH_RING

/* Flags: live marks on the store (retired, mirror, ...) that a reader may ignore without
 * misreading the state. Unknown bits are ignored and kept. Bit 0 is SHMSTATE_FLAG_UNTRACKED
 * (include/shmstate.h): some process attached without an entry (the table was full, or the
 * segment has none), so the table does not list every user. Set, never cleared. */
#define SHMSTATE_FLAG_UNTRACKED_BIT (1ull << 0)
/* Bit 1 is SHMSTATE_FLAG_SELF_CLEANING: the store is removed when its last attached process
 * detaches or dies (attach.c, "Self-cleaning"). Set at creation only, never changed. */
#define SHMSTATE_FLAG_SELF_CLEANING_BIT (1ull << 1)
/* Bit 2 is SHMSTATE_FLAG_RETIRED: the store was unlinked (shmstate_segment_unlink, or the
 * file was found removed by hand); waits end with E_RETIRED, commits are refused, opens
 * treat it as absent (retire.c). Set once, never cleared. */
#define SHMSTATE_FLAG_RETIRED_BIT (1ull << 2)
/* Bit 3 is SHMSTATE_FLAG_MIRROR: the store mirrors a leader
 * elsewhere (the bridge, docs/bridge.md); ordinary commits are refused with E_MIRROR and the
 * leader's description is in the header at 840. Set at creation only, never changed. */
#define SHMSTATE_FLAG_MIRROR_BIT (1ull << 3)
#define SHMSTATE_FLAGS_KNOWN                                                                   \
  (SHMSTATE_FLAG_UNTRACKED_BIT | SHMSTATE_FLAG_SELF_CLEANING_BIT | SHMSTATE_FLAG_RETIRED_BIT | \
   SHMSTATE_FLAG_MIRROR_BIT)

/* One entry of the region table. */
typedef struct shmstate_region {
  uint32_t kind;      /*  0: SHMSTATE_REGION_* */
  uint32_t reserved0; /*  4 */
  uint64_t offset;    /*  8: bytes from the start of the segment, a multiple of 64 */
  uint64_t size;      /* 16: bytes */
  uint64_t reserved1; /* 24 */
} shmstate_region;

/* Immutable after creation; bytes 8..507 are covered by header_checksum. */
typedef struct shmstate_header_fixed {
  _Atomic uint64_t magic;      /*   0: written last at create (release): init is complete */
  uint32_t layout_version;     /*   8: SHMSTATE_LAYOUT_VERSION */
  uint32_t header_size;        /*  12: SHMSTATE_HEADER_SIZE */
  uint64_t capacity;           /*  16: largest payload in bytes */
  uint64_t data_stride;        /*  24: capacity rounded up to 64 */
  uint64_t segment_size;       /*  32: total bytes, a multiple of 4096 */
  uint64_t store_id;           /*  40: random, drawn at creation, never 0 */
  uint64_t initial_version;    /*  48: the version the store was created at (>= 1) */
  uint64_t compat_features;    /*  56: bits a reader may ignore */
  uint64_t incompat_features;  /*  64: bits a reader must know */
  uint32_t region_count;       /*  72: entries used in regions[], at most REGION_MAX */
  uint32_t reserved0;          /*  76 */
  unsigned char reserved1[48]; /*  80 */
  shmstate_region regions[SHMSTATE_REGION_MAX]; /* 128: the region table */
  unsigned char reserved2[124];                 /* 384 */
  uint32_t header_checksum;                     /* 508: CRC32C of bytes 8..507 */
} shmstate_header_fixed;

/* Doorbell entries (doorbell.c, docs/protocol.md "Doorbells"). */
#define SHMSTATE_DOORBELL_ENTRIES 64u
#define SHMSTATE_DOORBELL_FREE 0u     /* nobody; pid 0 */
#define SHMSTATE_DOORBELL_DISARMED 1u /* registered; a writer does not ring it */
#define SHMSTATE_DOORBELL_ARMED 2u    /* registered; the next commit rings it (once) */

/* One registered subscriber process. `control` packs, little-endian, bytes 0..3: state in
 * bits 0..1 and a generation in bits 2..31 (bumped by every claim, so a compare-and-swap
 * that read an older tenant fails: no ABA); bytes 4..7: the subscriber's pid. Packing the
 * pid with the state lets every transition move both in one atomic step. `address` says
 * which socket the tenant listens on: its own control word without the state bits, | 1,
 * means a path socket (SHMSTATE_COMPAT_DOORBELL_PATHS); any other value (0, or what an
 * earlier tenant left, whose generation differs) an abstract one. Older builds left this
 * word zero and never write it, so their subscribers read as abstract whatever came before. */
typedef struct shmstate_doorbell_entry {
  _Atomic uint64_t control; /*  0: state | generation << 2 | pid << 32 */
  _Atomic uint64_t token;   /*  8: random; with the pid it names the subscriber's socket */
  _Atomic uint64_t rings;   /* 16: doorbells sent to this entry, for inspection */
  _Atomic uint64_t address; /* 24: identity | 1: a path socket; else abstract (above) */
} shmstate_doorbell_entry;

/* Attach entries (attach.c, docs/protocol.md "The attach table"). Entry i of the region is
 * at region offset + 64 * i; its holder keeps an open-file-description write lock
 * (F_OFD_SETLK) on the one byte of the segment file at that same offset, the entry's first
 * byte. The kernel drops the lock when the holder's description closes (detach, close, exit,
 * death), so "used and the byte unlocked" means the holder is gone. */
#define SHMSTATE_ATTACH_ENTRIES 128u      /* what a creator lays out */
#define SHMSTATE_ATTACH_ENTRIES_MAX 4096u /* what a reader uses of a larger region, at most */
#define SHMSTATE_ATTACH_ENTRY_SIZE 64u
#define SHMSTATE_ATTACH_FREE 0u /* nobody (or a claimer holding the byte, still writing) */
#define SHMSTATE_ATTACH_USED 1u /* attached; alive exactly while its byte is locked */

/* One attached process. `control` is bits 0..1 the state and bits 2..63 a generation,
 * bumped by every claim (FREE -> USED), so a compare-and-swap that read an older tenant
 * fails: no ABA. The other fields are written by the claimer while it holds the byte lock
 * and the entry is FREE, then published by the claim's CAS (release). */
typedef struct shmstate_attach_entry {
  _Atomic uint64_t control;    /*  0: state | generation << 2 */
  _Atomic uint64_t token;      /*  8: random, drawn at attach: tells two tenants apart */
  _Atomic uint64_t start_ns;   /* 16: CLOCK_REALTIME at attach, nanoseconds */
  _Atomic uint32_t pid;        /* 24: the attacher's pid in its own namespace: display only */
  _Atomic uint32_t role;       /* 28: shmstate_role */
  _Atomic uint32_t language;   /* 32: shmstate_language */
  uint32_t reserved0;          /* 36 */
  unsigned char reserved1[24]; /* 40 */
} shmstate_attach_entry;

typedef struct shmstate_header {
  shmstate_header_fixed fixed; /* 0..511 */

  /* 512: writer lock, a robust process-shared pthread mutex (40 bytes on glibc x86_64). */
  alignas(64) union {
    pthread_mutex_t mutex;
    unsigned char pad[64];
  } writer_lock;

  /* 576: what is published; one cache line, read by every reader. `version` is the
   * store's version (the linearisation point of a commit); `current_slot` (0 or 1) names
   * the slot that holds the full state. A commit stores the slot, then the version, then
   * the slot index, so the index may lag the version by one commit, never lead it
   * (docs/concurrency.md). */
  alignas(64) _Atomic uint64_t version;
  _Atomic uint32_t current_slot;
  uint32_t reserved3;

  /* 640: notification. futex_word is bumped on every publish; waiters counts threads
   * blocked (or about to block) on it, so a commit with no waiter makes no syscall. */
  alignas(64) _Atomic uint32_t futex_word;
  _Atomic uint32_t waiters;

  /* 704: writer-side statistics, written only under the writer lock. */
  alignas(64) _Atomic uint64_t stat_commits;
  _Atomic uint64_t stat_conflicts;
  _Atomic uint64_t stat_lock_recoveries;
  /* 728: CLOCK_REALTIME of the last commit, ns (0: made by a build that did not write it;
   * it was reserved there). For `ls` and `doctor`: tmpfs keeps no mtime for mmap writes. */
  _Atomic uint64_t stat_last_commit_ns;

  /* 768: doorbells (doorbell.c). doorbell_count is the number of entries that are not
   * free, so a commit with no doorbell subscriber scans nothing; doorbell_reclaims counts
   * entries freed because their subscriber died without unregistering. Both are written by
   * writers and subscribers alike, with atomic read-modify-writes. */
  alignas(64) _Atomic uint32_t doorbell_count;
  uint32_t reserved4;
  _Atomic uint64_t doorbell_reclaims;

  /* 832: the store's flags (SHMSTATE_FLAGS_*), changed with atomic read-modify-writes. */
  alignas(64) _Atomic uint64_t flags;

  /* 840: a mirror's leader (SHMSTATE_FLAG_MIRROR): leader_length bytes of text at
   * leader_text, written before the magic at creation and never changed. Outside the
   * checksummed part, so a reader bounds the length and treats the text as untrusted
   * (shmstate_segment_leader). Zero on a store that is not a mirror. */
  uint32_t leader_length;
  uint32_t reserved5;
  char leader_text[SHMSTATE_LEADER_TEXT_SIZE];

  /* Explicit padding rather than alignas(2048): the header's alignment stays 64, so a
   * copy of it in an ordinary buffer is still aligned. */
  unsigned char reserved6[SHMSTATE_HEADER_SIZE - 1104];
} shmstate_header;

/* A record: what one seqlock guards. Slots and ring entries are records: this 64-byte
 * header, then the payload (zero-padded to a whole 8-byte word), written and copied by the
 * same code (seqlock.c). */
typedef struct shmstate_record_header {
  _Atomic uint64_t seq;      /* 0: odd while a writer writes this record */
  _Atomic uint64_t version;  /* 8: version whose payload this record holds (0: none) */
  _Atomic uint64_t length;   /* 16: payload bytes */
  _Atomic uint32_t checksum; /* 24: CRC32C of the payload */
  uint32_t reserved0;        /* 28 */
  unsigned char reserved[32];
} shmstate_record_header;
#define SHMSTATE_RECORD_HEADER_SIZE 64u

/* A slot: a record whose payload is a full state, data_stride bytes of room. */
typedef shmstate_record_header shmstate_slot_header;

/* The patch ring's header, at the start of the PATCH_RING region. The entries follow it:
 * entry i at region offset + RING_HEADER_SIZE + i * entry_stride, a record whose payload is
 * the patch that leads from version v - 1 to v, for the v with v mod entry_count == i. */
typedef struct shmstate_ring_header {
  uint32_t entry_count;          /*  0: N >= 2; immutable, written before the magic */
  uint32_t entry_stride;         /*  4: a multiple of 64, >= 128; immutable */
  _Atomic uint64_t state_length; /*  8: writer-side: the state's length at the published
                                  *     version, as the writers track it */
  _Atomic uint64_t patch_bytes;  /* 16: writer-side: bytes of patches since the checkpoint */
  unsigned char reserved[40];    /* 24 */
} shmstate_ring_header;
#define SHMSTATE_RING_HEADER_SIZE 64u
#define SHMSTATE_RING_ENTRY_MIN 128u /* the smallest entry_stride: a header and 64 bytes */

_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 is 8 bytes");
_Static_assert(offsetof(shmstate_header_fixed, magic) == 0, "magic at 0");
_Static_assert(offsetof(shmstate_header_fixed, layout_version) == 8, "layout_version at 8");
_Static_assert(offsetof(shmstate_header_fixed, header_size) == 12, "header_size at 12");
_Static_assert(offsetof(shmstate_header_fixed, capacity) == 16, "capacity at 16");
_Static_assert(offsetof(shmstate_header_fixed, data_stride) == 24, "data_stride at 24");
_Static_assert(offsetof(shmstate_header_fixed, segment_size) == 32, "segment_size at 32");
_Static_assert(offsetof(shmstate_header_fixed, store_id) == 40, "store_id at 40");
_Static_assert(offsetof(shmstate_header_fixed, initial_version) == 48, "initial_version at 48");
_Static_assert(offsetof(shmstate_header_fixed, compat_features) == 56, "compat at 56");
_Static_assert(offsetof(shmstate_header_fixed, incompat_features) == 64, "incompat at 64");
_Static_assert(offsetof(shmstate_header_fixed, region_count) == 72, "region_count at 72");
_Static_assert(offsetof(shmstate_header_fixed, regions) == 128, "region table at 128");
_Static_assert(sizeof(shmstate_region) == 32, "region entry is 32 bytes");
_Static_assert(offsetof(shmstate_region, kind) == 0, "region kind at 0");
_Static_assert(offsetof(shmstate_region, offset) == 8, "region offset at 8");
_Static_assert(offsetof(shmstate_region, size) == 16, "region size at 16");
_Static_assert(offsetof(shmstate_header_fixed, header_checksum) == 508, "checksum at 508");
_Static_assert(sizeof(shmstate_header_fixed) == SHMSTATE_FIXED_SIZE, "fixed part is 512 bytes");
_Static_assert(offsetof(shmstate_header, writer_lock) == 512, "writer_lock at 512");
_Static_assert(sizeof(pthread_mutex_t) <= 64, "mutex fits its 64 bytes");
_Static_assert(offsetof(shmstate_header, version) == 576, "version at 576");
_Static_assert(offsetof(shmstate_header, current_slot) == 584, "current_slot at 584");
_Static_assert(offsetof(shmstate_header, futex_word) == 640, "futex_word at 640");
_Static_assert(offsetof(shmstate_header, waiters) == 644, "waiters at 644");
_Static_assert(offsetof(shmstate_header, stat_commits) == 704, "stat_commits at 704");
_Static_assert(offsetof(shmstate_header, stat_conflicts) == 712, "stat_conflicts at 712");
_Static_assert(offsetof(shmstate_header, stat_lock_recoveries) == 720, "recoveries at 720");
_Static_assert(offsetof(shmstate_header, stat_last_commit_ns) == 728, "last commit at 728");
_Static_assert(offsetof(shmstate_header, doorbell_count) == 768, "doorbell_count at 768");
_Static_assert(offsetof(shmstate_header, doorbell_reclaims) == 776, "doorbell_reclaims at 776");
_Static_assert(offsetof(shmstate_header, flags) == 832, "flags at 832");
_Static_assert(offsetof(shmstate_header, leader_length) == 840, "leader_length at 840");
_Static_assert(offsetof(shmstate_header, leader_text) == 848, "leader_text at 848");
_Static_assert(offsetof(shmstate_header, leader_text) + SHMSTATE_LEADER_TEXT_SIZE == 1104,
               "leader text ends at 1104");
_Static_assert(offsetof(shmstate_doorbell_entry, control) == 0, "entry control at 0");
_Static_assert(offsetof(shmstate_doorbell_entry, token) == 8, "entry token at 8");
_Static_assert(offsetof(shmstate_doorbell_entry, rings) == 16, "entry rings at 16");
_Static_assert(offsetof(shmstate_doorbell_entry, address) == 24, "entry address at 24");
_Static_assert(sizeof(shmstate_doorbell_entry) == 32, "doorbell entry is 32 bytes");
_Static_assert(offsetof(shmstate_attach_entry, control) == 0, "attach control at 0");
_Static_assert(offsetof(shmstate_attach_entry, token) == 8, "attach token at 8");
_Static_assert(offsetof(shmstate_attach_entry, start_ns) == 16, "attach start_ns at 16");
_Static_assert(offsetof(shmstate_attach_entry, pid) == 24, "attach pid at 24");
_Static_assert(offsetof(shmstate_attach_entry, role) == 28, "attach role at 28");
_Static_assert(offsetof(shmstate_attach_entry, language) == 32, "attach language at 32");
_Static_assert(sizeof(shmstate_attach_entry) == SHMSTATE_ATTACH_ENTRY_SIZE, "attach entry 64");
_Static_assert(_Alignof(shmstate_header) == 64, "header alignment is a cache line");
_Static_assert(sizeof(shmstate_header) == SHMSTATE_HEADER_SIZE, "header is 2048 bytes");
_Static_assert(offsetof(shmstate_slot_header, seq) == 0, "slot seq at 0");
_Static_assert(offsetof(shmstate_slot_header, version) == 8, "slot version at 8");
_Static_assert(offsetof(shmstate_slot_header, length) == 16, "slot length at 16");
_Static_assert(offsetof(shmstate_slot_header, checksum) == 24, "slot checksum at 24");
_Static_assert(sizeof(shmstate_slot_header) == SHMSTATE_SLOT_HEADER_SIZE, "slot header 64");
_Static_assert(sizeof(shmstate_record_header) == SHMSTATE_RECORD_HEADER_SIZE, "record header 64");
_Static_assert(offsetof(shmstate_ring_header, entry_count) == 0, "ring entry_count at 0");
_Static_assert(offsetof(shmstate_ring_header, entry_stride) == 4, "ring entry_stride at 4");
_Static_assert(offsetof(shmstate_ring_header, state_length) == 8, "ring state_length at 8");
_Static_assert(offsetof(shmstate_ring_header, patch_bytes) == 16, "ring patch_bytes at 16");
_Static_assert(sizeof(shmstate_ring_header) == SHMSTATE_RING_HEADER_SIZE, "ring header 64");

#endif /* SHMSTATE_LAYOUT_H */
