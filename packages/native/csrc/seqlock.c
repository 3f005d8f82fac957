/*
 * The double-buffered seqlock ("latch"): commit writes the slot that is not current and
 * then publishes it (the version, then the slot index); read copies the current slot without any
 * lock and keeps the copy only if the slot's sequence did not move. docs/concurrency.md gives the
 * invariant and the argument; every fence below names the fence or access it pairs with.
 *
 * Slots and patch-ring entries are both *records* (a 64-byte header and a payload, layout.h),
 * written and copied by the one pair of functions below. The read loop serves the
 * whole-state read and the fresh read of a ring segment (a checkpoint and the patches after
 * it, patch_ring.c); the patch commit is in patch_ring.c too, built on the commit frame here.
 *
 * The payload is copied with relaxed 64-bit atomic loads and stores (Boehm, "Can seqlocks
 * get along with programming language memory models?"): a torn copy is then a well-defined
 * value that the sequence check throws away, not a data race.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "crc32c.h"
#include "internal.h"

/* Reads give up with E_BUSY after this many overtaken attempts, and start yielding the
 * CPU after YIELD_AFTER of them so a preempted writer can finish. */
#define READ_RETRY_CAP 100000
#define READ_YIELD_AFTER 256
/* An unexplained mismatch (the store did not move) is called corruption after this many
 * attempts in a row. */
#define CORRUPT_PATIENCE 64

/* Copies words [from, to) of `src` into a record's data; `len` bounds the last word, which
 * is zero-padded. The data area is 64-byte aligned (layout.h). */
static void store_words(_Atomic uint64_t* dst, const unsigned char* src, size_t len, size_t from,
                        size_t to) {
  for (size_t i = from; i < to; i++) {
    uint64_t w = 0;
    size_t at = i * 8;
    memcpy(&w, src + at, len - at >= 8 ? 8 : len - at);
    atomic_store_explicit(&dst[i], w, memory_order_relaxed);
  }
}

/* Step `k` of a record write's three crash points (test builds), unless it has none. */
static void crash_at(const shmstate_segment* seg, int first, int k) {
  if (first != SHMSTATE_CRASH_NEVER) SHMSTATE_CRASH_POINT(seg, first + k);
}

static _Atomic uint64_t* record_words(const shmstate_record_header* rec) {
  return (_Atomic uint64_t*)((unsigned char*)rec + SHMSTATE_RECORD_HEADER_SIZE);
}

void shmstate_record_write(shmstate_segment* seg, shmstate_record_header* rec, uint64_t version,
                           const void* data, size_t len, int crash_first) {
  _Atomic uint64_t* words = record_words(rec);
  size_t nwords = (len + 7) / 8;

  uint64_t seq = atomic_load_explicit(&rec->seq, memory_order_relaxed);
  /* An odd seq here means a writer died mid-write (we hold the lock, so it is not
   * running): step to even first so the value we store next is odd again. */
  if (seq & 1) seq++;
  atomic_store_explicit(&rec->seq, seq + 1, memory_order_relaxed);
  /* Pairs with the reader's acquire fence before its second seq load: a reader whose copy
   * saw any store below also sees this odd seq, and discards the copy. */
  atomic_thread_fence(memory_order_release);
  crash_at(seg, crash_first, 0);

  store_words(words, data, len, 0, nwords / 2);
  crash_at(seg, crash_first, 1);
  store_words(words, data, len, nwords / 2, nwords);
  atomic_store_explicit(&rec->length, len, memory_order_relaxed);
  atomic_store_explicit(&rec->version, version, memory_order_relaxed);
  atomic_store_explicit(&rec->checksum, shmstate_crc32c(data, len), memory_order_relaxed);

  /* Pairs with the reader's acquire load of seq: a reader that sees this even value sees
   * the whole payload, length, version and checksum above. */
  atomic_store_explicit(&rec->seq, seq + 2, memory_order_release);
  crash_at(seg, crash_first, 2);
}

void shmstate_publish_version(shmstate_segment* seg, uint64_t version) {
  /* Pairs with the reader's acquire load of the version: a reader that sees `version` sees
   * every record written before this store (the slot or the ring entry that carries it). */
  atomic_store_explicit(&seg->hdr->version, version, memory_order_release);
}

void shmstate_publish_slot(shmstate_segment* seg, unsigned index) {
  /* Pairs with the reader's acquire load of current_slot, which it makes after its load of
   * the version: a reader that sees this index sees the slot whole and the version that
   * was published before it. */
  atomic_store_explicit(&seg->hdr->current_slot, index, memory_order_release);
}

void shmstate_record_forget(shmstate_segment* seg, shmstate_record_header* rec, uint64_t current,
                            uint64_t next) {
  uint64_t claimed = atomic_load_explicit(&rec->version, memory_order_relaxed);
  if (claimed > current && claimed <= next) {
    shmstate_record_write(seg, rec, 0, NULL, 0, SHMSTATE_CRASH_NEVER);
  }
}

/* Publishes `next` from slot `index`, which holds it (lock held). The version is the
 * linearisation point; the slot index follows it, so readers may see the index lag the
 * version by one commit but never lead it (docs/concurrency.md, "Publishing"). */
void shmstate_commit_plain(shmstate_segment* seg, uint64_t current, uint64_t next, const void* data,
                           size_t len) {
  /* No entry carries `next`: one that claims it (a dead writer's, a stray store's) must not
   * be taken for its patch by a reader catching up. */
  if (shmstate_has_ring(seg)) {
    shmstate_record_forget(seg, shmstate_ring_entry(seg, next), current, next);
  }
  /* Never the slot readers are told to read. Masked: a scribbled index must not steer the
   * write outside the two slots; readers report it, and this commit repairs it. */
  unsigned index = (atomic_load_explicit(&seg->hdr->current_slot, memory_order_relaxed) & 1u) ^ 1u;
  shmstate_record_write(seg, shmstate_slot(seg, index), next, data, len,
                        SHMSTATE_CRASH_AFTER_SEQ_ODD);
  shmstate_publish_version(seg, next);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_VERSION);
  shmstate_publish_slot(seg, index);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_PUBLISH);
  if (shmstate_has_ring(seg)) shmstate_ring_note_checkpoint(seg, len);
}

int shmstate_commit_begin(shmstate_segment* seg, uint64_t expected_version, uint64_t* current,
                          shmstate_commit_kind kind, shmstate_error* err) {
  /* A name removed behind our back retires the store here, before the lock: a writer must
   * not keep writing into a file nobody can open (retire.c). */
  int rc = shmstate_segment_check_soon(seg, err);
  if (rc != SHMSTATE_OK) return rc;
  rc = shmstate_writer_lock(seg, err);
  if (rc != SHMSTATE_OK) return rc;
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_LOCK);
  rc = shmstate_mirror_check(seg, kind, err);
  if (rc != SHMSTATE_OK) {
    shmstate_writer_unlock(seg);
    return rc;
  }
  shmstate_header* hdr = seg->hdr;
  /* Again under the lock, which shmstate_segment_unlink holds while it sets the flag: no
   * commit lands after the retirement woke everyone. */
  if (shmstate_segment_retired(seg)) {
    shmstate_writer_unlock(seg);
    return shmstate_fail_retired(seg, err);
  }
  /* Relaxed: the version and the slot index only change under the lock we hold, and the
   * lock's acquire orders us after the previous holder's stores. */
  *current = atomic_load_explicit(&hdr->version, memory_order_relaxed);
  if (expected_version != 0 && expected_version != *current) {
    atomic_fetch_add_explicit(&hdr->stat_conflicts, 1, memory_order_relaxed);
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_CONFLICT, 0,
                         "expected version %" PRIu64 " but the current version is %" PRIu64,
                         expected_version, *current);
  }
  return SHMSTATE_OK;
}

void shmstate_commit_end(shmstate_segment* seg) {
  atomic_fetch_add_explicit(&seg->hdr->stat_commits, 1, memory_order_relaxed);
  /* Relaxed, for display (ls, doctor's idle time): never used to order anything. */
  atomic_store_explicit(&seg->hdr->stat_last_commit_ns, shmstate_realtime_ns(),
                        memory_order_relaxed);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_BEFORE_WAKE);
  /* Under the lock on purpose: a writer that dies before waking leaves the lock owner-dead,
   * and the next writer's recovery does the bump and the wake this one missed. */
  shmstate_futex_notify(seg);
  /* After the bump: a subscriber that re-arms its doorbell and then re-checks the futex
   * word either sees the bump or is armed when this rings (docs/concurrency.md). */
  shmstate_doorbell_ring_all(seg);
  shmstate_writer_unlock(seg);
}

int shmstate_commit_state(shmstate_segment* seg, const void* data, size_t len,
                          uint64_t expected_version, uint64_t version, shmstate_commit_kind kind,
                          uint64_t* out_version, shmstate_error* err) {
  if (data == NULL && len > 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "state is NULL but %zu bytes long", len);
  }
  if (len > seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_CAPACITY, 0, "state is %zu bytes; capacity is %" PRIu64,
                         len, seg->capacity);
  }
  uint64_t current;
  int rc = shmstate_commit_begin(seg, expected_version, &current, kind, err);
  if (rc != SHMSTATE_OK) return rc;
  uint64_t next = version;
  if (version == 0 && current == UINT64_MAX) {
    /* Versions never wrap: 0 means "no version" to every reader. 2^64 commits take 584
     * years at a billion a second, so this only guards a hand-edited or corrupt header. */
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_LIMIT, 0,
                         "segment \"%s\" has published version 2^64-1; no version can follow it",
                         seg->name);
  }
  if (version == 0) {
    next = current + 1;
  } else if (version <= current) {
    atomic_fetch_add_explicit(&seg->hdr->stat_conflicts, 1, memory_order_relaxed);
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_CONFLICT, 0,
                         "version %" PRIu64 " does not follow the current version %" PRIu64
                         ": versions never go backwards",
                         version, current);
  }
  shmstate_commit_plain(seg, current, next, data, len);
  shmstate_commit_end(seg);
  if (out_version != NULL) *out_version = next;
  return shmstate_ok(err);
}

int shmstate_segment_commit(shmstate_segment* seg, const void* data, size_t len,
                            uint64_t expected_version, uint64_t* out_version, shmstate_error* err) {
  return shmstate_commit_state(seg, data, len, expected_version, 0, SHMSTATE_COMMIT_ORDINARY,
                               out_version, err);
}

int shmstate_segment_commit_at(shmstate_segment* seg, const void* data, size_t len,
                               uint64_t expected_version, uint64_t version, uint64_t* out_version,
                               shmstate_error* err) {
  if (version == 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "version is 0; a commit at a given version names one of 1 or more");
  }
  return shmstate_commit_state(seg, data, len, expected_version, version, SHMSTATE_COMMIT_ORDINARY,
                               out_version, err);
}

/* Copies `len` bytes (already clamped) out of a record with relaxed word loads; the last
 * word is loaded whole (the data area is padded to 64 bytes). */
static void load_words(const _Atomic uint64_t* src, unsigned char* dst, size_t len) {
  size_t full = len / 8;
  for (size_t i = 0; i < full; i++) {
    uint64_t w = atomic_load_explicit(&src[i], memory_order_relaxed);
    memcpy(dst + i * 8, &w, 8);
  }
  if (len % 8 != 0) {
    uint64_t w = atomic_load_explicit(&src[full], memory_order_relaxed);
    memcpy(dst + full * 8, &w, len % 8);
  }
}

/* The payload is copied only when the record holds a wanted version: one found holding
 * another is not worth its copy. */
shmstate_copy_result shmstate_record_copy_out(const shmstate_record_header* rec, uint64_t lo,
                                              uint64_t hi, size_t limit, unsigned char* buf,
                                              shmstate_record_copy* out) {
  shmstate_record_header* r = (shmstate_record_header*)rec;
  /* Pairs with the writer's release store of the even seq in shmstate_record_write(): an
   * even value here means the fields and payload it covers are visible. */
  uint64_t s1 = atomic_load_explicit(&r->seq, memory_order_acquire);
  if (s1 & 1) return SHMSTATE_COPY_WRITER_IN;
  out->length = atomic_load_explicit(&r->length, memory_order_relaxed);
  out->version = atomic_load_explicit(&r->version, memory_order_relaxed);
  out->checksum = atomic_load_explicit(&r->checksum, memory_order_relaxed);
  /* Clamp before the length sizes anything: it may be torn or corrupt. */
  out->copied = (size_t)(out->length <= limit ? out->length : limit);
  if (out->version < lo || out->version > hi) out->copied = 0;
  load_words(record_words(r), buf, out->copied);
  /* Pairs with the writer's release fence after it made seq odd: if any load above saw
   * a store from a later write of this record, the load of seq below sees its odd seq. */
  atomic_thread_fence(memory_order_acquire);
  uint64_t s2 = atomic_load_explicit(&r->seq, memory_order_relaxed);
  return s1 == s2 ? SHMSTATE_COPY_OK : SHMSTATE_COPY_OVERTAKEN;
}

/* A consistent copy of slot `index` holding a version a read returns: from here on a bad
 * field is corruption, not a race. */
static int finish_read(const shmstate_segment* seg, unsigned index, const shmstate_record_copy* got,
                       const unsigned char* buf, uint64_t version, size_t* out_len,
                       uint64_t* out_checkpoint, uint64_t* out_version, shmstate_error* err) {
  if (got->length > seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "slot %u has length %" PRIu64 "; capacity is %" PRIu64, index, got->length,
                         seg->capacity);
  }
  uint32_t computed = shmstate_crc32c(buf, got->copied);
  if (computed != got->checksum) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "checksum mismatch in slot %u: stored 0x%08" PRIx32
                         ", payload sums to 0x%08" PRIx32 " (version %" PRIu64 ")",
                         index, got->checksum, computed, got->version);
  }
  if (out_len != NULL) *out_len = got->copied;
  if (out_checkpoint != NULL) *out_checkpoint = got->version;
  if (out_version != NULL) *out_version = version;
  return shmstate_ok(err);
}

static void clear_patches(shmstate_patch_buffer* pb) {
  if (pb == NULL) return;
  pb->count = 0;
  pb->used = 0;
}

/*
 * The read loop, lock-free, shared by the whole-state read (pb NULL) and the fresh read of a
 * ring segment (pb given): docs/protocol.md "Read" and "The patch ring" give the steps,
 * docs/concurrency.md the argument. One attempt loads the version and then the slot index,
 * copies the slot the index names and, for a fresh read, the patches from its checkpoint to
 * the version; falls back to the other slot, which holds the version itself in the lag
 * window of a plain-order commit; and otherwise tells a race (retry) from corruption.
 */
static int read_loop(shmstate_segment* seg, unsigned char* buf, shmstate_patch_buffer* pb,
                     size_t* out_len, uint64_t* out_checkpoint, uint64_t* out_version,
                     shmstate_error* err) {
  shmstate_header* hdr = seg->hdr;
  int ring = shmstate_has_ring(seg);
  int delta = ring && pb != NULL;
  int suspect = 0; /* attempts whose mismatch the store's state did not explain */
  for (int attempt = 0; attempt < READ_RETRY_CAP; attempt++) {
    if (attempt >= READ_YIELD_AFTER || suspect > 0) sched_yield();
    /* Pairs with the writer's release store of the version: the records that carry this
     * version (its slot, or its checkpoint and ring entries) are whole. */
    uint64_t version = atomic_load_explicit(&hdr->version, memory_order_acquire);
    /* After the version, acquire: pairs with the release store of the index, so the slot
     * an index seen here names is whole. The pair is not a snapshot: the slot's own version
     * is checked against `version` below. */
    uint32_t current = atomic_load_explicit(&hdr->current_slot, memory_order_acquire);
    if (version == 0) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" publishes version 0; versions start at 1", seg->name);
    }
    if (current > 1) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has current_slot %" PRIu32 "; it must be 0 or 1",
                           seg->name, current);
    }
    clear_patches(pb);
    /* The named slot's state is taken if it is the version itself or, for a fresh read, a
     * checkpoint the ring can carry to it: at most entry_count versions behind. */
    uint64_t lo = version;
    if (delta) lo = version > seg->ring_entries ? version - seg->ring_entries : 0;
    unsigned index = current;
    shmstate_record_copy got;
    shmstate_copy_result r =
        shmstate_record_copy_out(shmstate_slot(seg, index), lo, version, seg->capacity, buf, &got);
    uint64_t named_version = got.version;
    int named_consistent = r == SHMSTATE_COPY_OK;
    shmstate_entries_stop stop = {SHMSTATE_ENTRIES_OK, 0, 0};
    if (r == SHMSTATE_COPY_OK && got.version == version) {
      return finish_read(seg, index, &got, buf, version, out_len, out_checkpoint, out_version, err);
    }
    if (r == SHMSTATE_COPY_OK && delta && got.version >= lo && got.version < version) {
      /* A checkpoint: the ring holds every patch after it up to the version. */
      int rc = shmstate_ring_copy_entries(seg, got.version + 1, version, pb, &stop, err);
      if (rc != SHMSTATE_OK) return rc;
      if (stop.result == SHMSTATE_ENTRIES_OK) {
        return finish_read(seg, index, &got, buf, version, out_len, out_checkpoint, out_version,
                           err);
      }
      clear_patches(pb);
    }
    if (r == SHMSTATE_COPY_OK && got.version < version) {
      /* The index lags the version: a plain-order commit is between its two publishing
       * stores (or its writer died there), or a checkpoint has written its slot but not yet
       * published the index. Either way the version's state is whole in the other slot. */
      index ^= 1u;
      r = shmstate_record_copy_out(shmstate_slot(seg, index), version, version, seg->capacity, buf,
                                   &got);
      if (r == SHMSTATE_COPY_OK && got.version == version) {
        return finish_read(seg, index, &got, buf, version, out_len, out_checkpoint, out_version,
                           err);
      }
    }
    /* No match. If the store moved on since our loads (a new version or index), or a copy
     * was overtaken, this was a race with writers: start again. */
    if (atomic_load_explicit(&hdr->version, memory_order_acquire) != version ||
        atomic_load_explicit(&hdr->current_slot, memory_order_acquire) != current ||
        r == SHMSTATE_COPY_OVERTAKEN || stop.result == SHMSTATE_ENTRIES_OVERTAKEN) {
      suspect = 0;
      continue;
    }
    if (!delta && ring && named_consistent && named_version < version) {
      /* A whole-state read of a ring segment whose last commit was not a checkpoint: no
       * slot holds the published version's state; the checkpoint and the ring do. */
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "segment \"%s\" has a patch ring and its full state is at checkpoint "
                           "%" PRIu64 ", behind the published version %" PRIu64
                           ": use shmstate_segment_read_delta",
                           seg->name, named_version, version);
    }
    /* The store did not move, yet what should hold its version is being written, holds
     * another version or (ring) lacks a patch. No writer writes those records while the
     * version stays published, so this is corruption. The verdict waits out
     * CORRUPT_PATIENCE attempts (yielding) so that a store we have not yet seen on a weakly
     * ordered machine cannot be mistaken for it: on x86 the first look is conclusive. */
    if (++suspect < CORRUPT_PATIENCE) continue;
    if (stop.result == SHMSTATE_ENTRIES_WRITER_IN) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "ring entry for version %" PRIu64
                           " has an odd seq (a write in progress) while version %" PRIu64
                           " stays published with its checkpoint at %" PRIu64
                           ": no writer writes a patch after the checkpoint",
                           stop.wanted, version, named_version);
    }
    if (stop.result == SHMSTATE_ENTRIES_MISSING) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "ring entry for version %" PRIu64 " holds version %" PRIu64
                           " while version %" PRIu64
                           " stays published with its checkpoint at %" PRIu64
                           ": the ring must hold every patch after the checkpoint",
                           stop.wanted, stop.found, version, named_version);
    }
    if (stop.result == SHMSTATE_ENTRIES_FULL) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "the patches after checkpoint %" PRIu64 " up to version %" PRIu64
                           " exceed the %" PRIu64 " bytes a fresh read of the ring allows",
                           named_version, version, shmstate_ring_delta_bytes_max(seg));
    }
    if (r == SHMSTATE_COPY_WRITER_IN) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "slot %u has an odd seq (a write in progress) while version %" PRIu64
                           " stays published in it: no writer writes the current slot",
                           index, version);
    }
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "slot %u holds version %" PRIu64 " but version %" PRIu64
                         " is published (slot version)",
                         current, named_version, version);
  }
  return shmstate_fail(err, SHMSTATE_E_BUSY, 0,
                       "no consistent read of segment \"%s\" within %d attempts: writers kept "
                       "overtaking the copy",
                       seg->name, READ_RETRY_CAP);
}

static int check_read_buffer(const shmstate_segment* seg, const void* buf, size_t buf_cap,
                             shmstate_error* err) {
  if (buf == NULL || buf_cap < seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "read buffer is %zu bytes; it must hold the capacity, %" PRIu64,
                         buf == NULL ? (size_t)0 : buf_cap, seg->capacity);
  }
  return SHMSTATE_OK;
}

int shmstate_segment_read(shmstate_segment* seg, void* buf, size_t buf_cap, size_t* out_len,
                          uint64_t* out_version, shmstate_error* err) {
  int rc = check_read_buffer(seg, buf, buf_cap, err);
  if (rc != SHMSTATE_OK) return rc;
  /* A read of a new version notices a name removed by hand (and retires the store, ending
   * every wait on it); the read itself goes on: a retired store's state stays readable. */
  (void)shmstate_segment_check_soon(seg, NULL);
  return read_loop(seg, buf, NULL, out_len, NULL, out_version, err);
}

int shmstate_segment_read_delta(shmstate_segment* seg, void* buf, size_t buf_cap, size_t* out_len,
                                uint64_t* out_checkpoint_version, shmstate_patch_buffer* patches,
                                uint64_t* out_version, shmstate_error* err) {
  int rc = check_read_buffer(seg, buf, buf_cap, err);
  if (rc != SHMSTATE_OK) return rc;
  if (patches == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "patches is NULL");
  if (shmstate_has_ring(seg)) {
    uint64_t need = shmstate_ring_delta_bytes_max(seg);
    if (patches->bytes == NULL || patches->bytes_cap < need) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "patch buffer is %zu bytes; a fresh read of this ring needs %" PRIu64
                           " (delta_bytes_max)",
                           patches->bytes == NULL ? (size_t)0 : patches->bytes_cap, need);
    }
    if (patches->entries == NULL || patches->entries_cap < seg->ring_entries) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "patch buffer has room for %zu entries; a fresh read of this ring "
                           "needs %" PRIu32,
                           patches->entries == NULL ? (size_t)0 : patches->entries_cap,
                           seg->ring_entries);
    }
  }
  (void)shmstate_segment_check_soon(seg, NULL); /* as in shmstate_segment_read */
  rc = read_loop(seg, buf, patches, out_len, out_checkpoint_version, out_version, err);
  if (rc != SHMSTATE_OK) clear_patches(patches); /* no partial delta on a failure */
  return rc;
}
