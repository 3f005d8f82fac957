/* Segment names: [A-Za-z0-9_][A-Za-z0-9._-]*, at most SHMSTATE_NAME_MAX bytes. */
#include <string.h>

#include "harness.h"

static void valid_names_pass(void) {
  static const char* valid[] = {"a",       "Z",       "0",      "_",  "robot", "robot.state",
                                "a-b_c.d", "_hidden", "9lives", "x.", "x-",    "a..b"};
  for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
    shmstate_error err;
    CHECKF(shmstate_name_check(valid[i], &err) == SHMSTATE_OK, "\"%s\": %s", valid[i], err.message);
  }
  char longest[SHMSTATE_NAME_MAX + 1];
  memset(longest, 'n', SHMSTATE_NAME_MAX);
  longest[SHMSTATE_NAME_MAX] = '\0';
  CHECK(shmstate_name_check(longest, NULL) == SHMSTATE_OK);
}

static void invalid_names_are_e_name_and_named(void) {
  static const char* invalid[] = {".",   "..",   ".hidden",     "-opt", "a/b",  "/a",
                                  "a b", "a\tb", "caf\xc3\xa9", "a:b",  "a\\b", "a*"};
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    shmstate_error err;
    CHECKF(shmstate_name_check(invalid[i], &err) == SHMSTATE_E_NAME, "\"%s\"", invalid[i]);
    CHECK(err.code == SHMSTATE_E_NAME);
    CHECKF(harness_contains(err.message, "segment name \""), "%s", err.message);
    /* The message stays printable ASCII whatever the name held. */
    for (const char* p = err.message; *p; p++) {
      CHECKF(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in \"%s\"", (unsigned char)*p, err.message);
    }
  }
  shmstate_error err;
  CHECK(shmstate_name_check("a/b", &err) == SHMSTATE_E_NAME);
  CHECKF(harness_contains(err.message, "\"a/b\"") && harness_contains(err.message, "byte 1"), "%s",
         err.message);
  CHECK(shmstate_name_check("", &err) == SHMSTATE_E_NAME);
  CHECK(shmstate_name_check(NULL, &err) == SHMSTATE_E_NAME);
}

static void names_longer_than_the_limit_are_e_name(void) {
  char too_long[SHMSTATE_NAME_MAX + 2];
  memset(too_long, 'n', SHMSTATE_NAME_MAX + 1);
  too_long[SHMSTATE_NAME_MAX + 1] = '\0';
  shmstate_error err;
  CHECK(shmstate_name_check(too_long, &err) == SHMSTATE_E_NAME);
  CHECKF(harness_contains(err.message, "longer than 200 bytes"), "%s", err.message);
}

int main(void) {
  static const test_case cases[] = {
      {"valid names pass", valid_names_pass},
      {"invalid names are E_NAME, named in the message", invalid_names_are_e_name_and_named},
      {"names over the limit are E_NAME", names_longer_than_the_limit_are_e_name},
  };
  return harness_run("name", cases, sizeof cases / sizeof cases[0]);
}
