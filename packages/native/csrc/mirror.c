/*
 * Mirror stores: a store that follows a leader elsewhere (the bridge, docs/bridge.md). It is
 * marked at creation (SHMSTATE_FLAG_MIRROR, with the leader's description in the header at
 * 840); from then on only the mirror entry points below write it, publishing the leader's
 * versions, and ordinary writers are refused with E_MIRROR naming the leader. The mark is
 * never cleared: a mirror becomes a plain store only by being removed and made again.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

static int is_mirror(const shmstate_segment* seg) {
  return (atomic_load_explicit(&seg->hdr->flags, memory_order_relaxed) & SHMSTATE_FLAG_MIRROR) != 0;
}

void shmstate_mirror_leader(const shmstate_segment* seg, char out[SHMSTATE_LEADER_MAX + 1]) {
  out[0] = '\0';
  if (!is_mirror(seg)) return;
  /* The header's bytes are untrusted: clamp the length, copy once, keep printable ASCII. */
  uint32_t len = seg->hdr->leader_length;
  if (len > SHMSTATE_LEADER_MAX) len = SHMSTATE_LEADER_MAX;
  memcpy(out, seg->hdr->leader_text, len);
  for (uint32_t i = 0; i < len; i++) {
    if (out[i] < 0x20 || out[i] > 0x7e) out[i] = '?';
  }
  out[len] = '\0';
}

int shmstate_mirror_check(shmstate_segment* seg, shmstate_commit_kind kind, shmstate_error* err) {
  int mirror = is_mirror(seg);
  if (mirror && kind != SHMSTATE_COMMIT_MIRROR) {
    char leader[SHMSTATE_LEADER_MAX + 1];
    shmstate_mirror_leader(seg, leader);
    return shmstate_fail(err, SHMSTATE_E_MIRROR, 0,
                         "store \"%s\" is a mirror of %s; local writes are refused: write to the "
                         "leader",
                         seg->name, leader[0] != '\0' ? leader : "(no leader recorded)");
  }
  if (!mirror && kind == SHMSTATE_COMMIT_MIRROR) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "store \"%s\" is not a mirror; a mirror commit needs one created with "
                         "the mirror option",
                         seg->name);
  }
  return SHMSTATE_OK;
}

int shmstate_mirror_check_options(const shmstate_create_options* options, shmstate_error* err) {
  if (options->mirror > 1) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "mirror is %" PRIu32 "; it must be 0 or 1",
                         options->mirror);
  }
  if (!options->mirror) {
    if (options->leader != NULL) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "leader is given but mirror is 0");
    }
    return SHMSTATE_OK;
  }
  size_t len = options->leader == NULL ? 0 : strnlen(options->leader, SHMSTATE_LEADER_MAX + 1);
  if (len == 0 || len > SHMSTATE_LEADER_MAX) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "a mirror's leader description must be 1..%d bytes (it is %s)",
                         SHMSTATE_LEADER_MAX, len == 0 ? "empty" : "longer");
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)options->leader[i];
    if (c < 0x20 || c > 0x7e) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "a mirror's leader description must be printable ASCII; byte %zu is "
                           "0x%02x",
                           i, c);
    }
  }
  return SHMSTATE_OK;
}

void shmstate_mirror_init(shmstate_segment* seg, const char* leader) {
  size_t len = strlen(leader); /* checked by shmstate_mirror_check_options */
  memcpy(seg->hdr->leader_text, leader, len);
  seg->hdr->leader_length = (uint32_t)len;
}

int shmstate_segment_mirror_commit(shmstate_segment* seg, const void* data, size_t len,
                                   uint64_t version, uint64_t* out_version, shmstate_error* err) {
  if (version == 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "version is 0; a mirror commit names the leader's version, 1 or more");
  }
  return shmstate_commit_state(seg, data, len, 0, version, SHMSTATE_COMMIT_MIRROR, out_version,
                               err);
}

int shmstate_segment_mirror_patch(shmstate_segment* seg, const void* patch, size_t patch_len,
                                  const void* state, size_t state_len, uint64_t expected_version,
                                  uint64_t* out_version, shmstate_error* err) {
  return shmstate_commit_patch_kind(seg, patch, patch_len, state, state_len, expected_version,
                                    SHMSTATE_COMMIT_MIRROR, out_version, err);
}
