/* Mirror stores (SHMSTATE_FLAG_MIRROR): marked at creation with the leader's description;
 * ordinary commits, commits at a version and patches are refused with E_MIRROR naming the
 * leader and change nothing; mirror commits publish the leader's versions (jumps allowed,
 * never backwards); mirror commits on an ordinary store are E_INVALID; a scribbled leader
 * length or text is read bounded and printable. */
#include <string.h>

#include "harness.h"
#include "internal.h"

#define LEADER "nats://127.0.0.1:4222 bucket shmstate key robot, leader store id 42"

static shmstate_segment* make_mirror(const char* name, int ring) {
  shmstate_create_options o = {0};
  o.capacity = 4096;
  o.initial_version = 7;
  o.mirror = 1;
  o.leader = LEADER;
  if (ring) shmstate_ring_default(&o);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create_with(name, &o, "{\"a\":1}", 7, &seg, &err), &err);
  return seg;
}

static void read_back(shmstate_segment* seg, const char* want, uint64_t want_version) {
  char buf[4096];
  size_t len = 0;
  uint64_t version = 0;
  shmstate_error err;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err), &err);
  CHECK(version == want_version);
  CHECK(len == strlen(want) && memcmp(buf, want, len) == 0);
}

static void the_flag_and_leader_show_in_stats(void) {
  const char* name = harness_name("mirror-stats");
  shmstate_segment* seg = make_mirror(name, 0);
  shmstate_stats st;
  memset(&st, 0xff, sizeof st);
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((st.flags & SHMSTATE_FLAG_MIRROR) != 0);
  CHECK(strcmp(st.leader, LEADER) == 0);
  CHECK(st.version == 7);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

static void an_ordinary_store_has_no_leader(void) {
  const char* name = harness_name("mirror-plain");
  shmstate_segment* seg = NULL;
  shmstate_error err;
  CHECK_OK(shmstate_segment_create(name, 100, 0, "{}", 2, &seg, &err), &err);
  shmstate_stats st;
  memset(&st, 0xff, sizeof st);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((st.flags & SHMSTATE_FLAG_MIRROR) == 0);
  CHECK(st.leader[0] == '\0');
  CHECK_CODE(shmstate_segment_mirror_commit(seg, "{}", 2, 5, NULL, &err), SHMSTATE_E_INVALID, &err);
  CHECK(harness_contains(err.message, "not a mirror"));
  CHECK(shmstate_segment_version(seg) == 1);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

static void local_writes_are_refused_naming_the_leader(void) {
  const char* name = harness_name("mirror-refuse");
  shmstate_segment* seg = make_mirror(name, 1);
  shmstate_error err;
  CHECK_CODE(shmstate_segment_commit(seg, "{}", 2, 0, NULL, &err), SHMSTATE_E_MIRROR, &err);
  CHECK(harness_contains(err.message, LEADER));
  CHECK_CODE(shmstate_segment_commit_at(seg, "{}", 2, 0, 9, NULL, &err), SHMSTATE_E_MIRROR, &err);
  const char* patch = "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2}]";
  CHECK_CODE(
      shmstate_segment_commit_patch(seg, patch, strlen(patch), "{\"a\":2}", 7, 7, NULL, &err),
      SHMSTATE_E_MIRROR, &err);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.commits == 1);
  read_back(seg, "{\"a\":1}", 7);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

static void mirror_commits_jump_and_never_go_back(void) {
  const char* name = harness_name("mirror-jump");
  shmstate_segment* seg = make_mirror(name, 0);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_mirror_commit(seg, "{\"a\":5}", 7, 20, &v, &err), &err);
  CHECK(v == 20);
  read_back(seg, "{\"a\":5}", 20);
  CHECK_CODE(shmstate_segment_mirror_commit(seg, "{\"a\":4}", 7, 20, NULL, &err),
             SHMSTATE_E_CONFLICT, &err);
  CHECK_CODE(shmstate_segment_mirror_commit(seg, "{\"a\":4}", 7, 3, NULL, &err),
             SHMSTATE_E_CONFLICT, &err);
  CHECK_CODE(shmstate_segment_mirror_commit(seg, "{}", 2, 0, NULL, &err), SHMSTATE_E_INVALID, &err);
  read_back(seg, "{\"a\":5}", 20);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

static void mirror_patches_follow_the_leader(void) {
  const char* name = harness_name("mirror-patch");
  shmstate_segment* seg = make_mirror(name, 1);
  shmstate_error err;
  const char* patch = "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2}]";
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_mirror_patch(seg, patch, strlen(patch), "{\"a\":2}", 7, 7, &v, &err),
           &err);
  CHECK(v == 8);
  CHECK_CODE(shmstate_segment_mirror_patch(seg, patch, strlen(patch), NULL, 7, 7, NULL, &err),
             SHMSTATE_E_CONFLICT, &err);
  CHECK(shmstate_segment_version(seg) == 8);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

static void the_leader_options_are_checked(void) {
  const char* name = harness_name("mirror-opts");
  shmstate_create_options o = {0};
  o.capacity = 100;
  o.initial_version = 1;
  o.mirror = 1;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), SHMSTATE_E_INVALID, &err);
  o.leader = "bad\nleader";
  CHECK_CODE(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), SHMSTATE_E_INVALID, &err);
  char longer[SHMSTATE_LEADER_MAX + 2];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  o.leader = longer;
  CHECK_CODE(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), SHMSTATE_E_INVALID, &err);
  o.mirror = 0;
  o.leader = "x";
  CHECK_CODE(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), SHMSTATE_E_INVALID, &err);
  CHECK(seg == NULL);
}

static void a_scribbled_leader_is_read_bounded_and_printable(void) {
  const char* name = harness_name("mirror-scribble");
  shmstate_segment* seg = make_mirror(name, 0);
  seg->hdr->leader_length = 0xffffffffu;
  seg->hdr->leader_text[0] = '\x01';
  shmstate_stats st;
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(strlen(st.leader) == SHMSTATE_LEADER_MAX);
  CHECK(st.leader[0] == '?');
  CHECK_CODE(shmstate_segment_commit(seg, "{}", 2, 0, NULL, &err), SHMSTATE_E_MIRROR, &err);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"the flag and leader show in stats", the_flag_and_leader_show_in_stats},
      {"an ordinary store has no leader and refuses mirror commits",
       an_ordinary_store_has_no_leader},
      {"local writes are refused naming the leader", local_writes_are_refused_naming_the_leader},
      {"mirror commits jump and never go back", mirror_commits_jump_and_never_go_back},
      {"mirror patches follow the leader", mirror_patches_follow_the_leader},
      {"the leader options are checked", the_leader_options_are_checked},
      {"a scribbled leader is read bounded and printable",
       a_scribbled_leader_is_read_bounded_and_printable},
  };
  return harness_run("mirror", cases, sizeof cases / sizeof cases[0]);
}
