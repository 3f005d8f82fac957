/* The code table: names and meanings from errors.def, and the error-fill helpers. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

static void every_code_has_its_name_and_a_meaning(void) {
  static const struct {
    int code;
    const char* name;
  } table[] = {
#define X(symbol, number, meaning) {number, #symbol},
#include "errors.def"
#undef X
  };
  /* Rows in increasing order; a number reserved for a code not in this build is a gap. */
  size_t rows = sizeof table / sizeof table[0];
  CHECK(table[rows - 1].code + 1 == SHMSTATE_CODE_COUNT);
  for (size_t i = 1; i < rows; i++) CHECK(table[i].code > table[i - 1].code);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    CHECKF(strcmp(shmstate_code_name(table[i].code), table[i].name) == 0, "%d", table[i].code);
    CHECK(strlen(shmstate_code_meaning(table[i].code)) > 0);
  }
  CHECK(strcmp(shmstate_code_name(SHMSTATE_E_CAPACITY), "E_CAPACITY") == 0);
  CHECK(strcmp(shmstate_code_name(SHMSTATE_OK), "OK") == 0);
}

static void unknown_codes_are_e_unknown(void) {
  CHECK(strcmp(shmstate_code_name(-1), "E_UNKNOWN") == 0);
  CHECK(strcmp(shmstate_code_name(SHMSTATE_CODE_COUNT), "E_UNKNOWN") == 0);
  CHECK(strlen(shmstate_code_meaning(9999)) > 0);
}

static void fail_formats_the_message_and_returns_the_code(void) {
  shmstate_error err;
  int rc = shmstate_fail(&err, SHMSTATE_E_CAPACITY, 0, "state is %d bytes; capacity is %d", 70000,
                         65536);
  CHECK(rc == SHMSTATE_E_CAPACITY && err.code == SHMSTATE_E_CAPACITY && err.sys_errno == 0);
  CHECK(strcmp(err.message, "state is 70000 bytes; capacity is 65536") == 0);
  CHECK(shmstate_fail(NULL, SHMSTATE_E_BUSY, 0, "no error struct") == SHMSTATE_E_BUSY);
}

static void long_messages_are_truncated_not_overrun(void) {
  shmstate_error err;
  char long_text[1000];
  memset(long_text, 'x', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  shmstate_fail(&err, SHMSTATE_E_SYSTEM, 0, "%s", long_text);
  CHECK(strlen(err.message) == SHMSTATE_ERROR_MESSAGE_MAX - 1);
}

static void errno_maps_to_stable_codes(void) {
  static const struct {
    int sys_errno;
    int code;
  } table[] = {
      {ENOENT, SHMSTATE_E_NOENT}, {EEXIST, SHMSTATE_E_EXISTS}, {EACCES, SHMSTATE_E_PERM},
      {EPERM, SHMSTATE_E_PERM},   {ELOOP, SHMSTATE_E_PERM},    {ENOSPC, SHMSTATE_E_NOSPC},
      {EMFILE, SHMSTATE_E_LIMIT}, {ENFILE, SHMSTATE_E_LIMIT},  {ENOMEM, SHMSTATE_E_NOMEM},
      {EIO, SHMSTATE_E_SYSTEM},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    shmstate_error err;
    int rc = shmstate_fail_errno(&err, table[i].sys_errno, "doing %s", "something");
    CHECKF(rc == table[i].code, "errno %d gave %s", table[i].sys_errno, shmstate_code_name(rc));
    CHECK(err.sys_errno == table[i].sys_errno);
    CHECKF(harness_contains(err.message, "doing something: ") &&
               harness_contains(err.message, "(errno "),
           "%s", err.message);
  }
}

int main(void) {
  static const test_case cases[] = {
      {"every code has its name and a meaning", every_code_has_its_name_and_a_meaning},
      {"unknown codes are E_UNKNOWN", unknown_codes_are_e_unknown},
      {"fail formats the message and returns the code",
       fail_formats_the_message_and_returns_the_code},
      {"long messages are truncated, never overrun", long_messages_are_truncated_not_overrun},
      {"errno maps to stable codes with errno and text", errno_maps_to_stable_codes},
  };
  return harness_run("errors", cases, sizeof cases / sizeof cases[0]);
}
