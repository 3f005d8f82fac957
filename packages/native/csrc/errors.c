/*
 * Code names and meanings from the errors.def table, and the helpers every core function
 * uses to fill a shmstate_error: one place decides how errno maps to a code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char* shmstate_code_name(int code) {
  switch (code) {
#define X(symbol, number, meaning) \
  case number:                     \
    return #symbol;
#include "errors.def"
#undef X
    default:
      return "E_UNKNOWN";
  }
}

const char* shmstate_code_meaning(int code) {
  switch (code) {
#define X(symbol, number, meaning) \
  case number:                     \
    return meaning;
#include "errors.def"
#undef X
    default:
      return "an unknown result code";
  }
}

static void fill(shmstate_error* err, int code, int sys_errno, const char* fmt, va_list ap) {
  err->code = code;
  err->sys_errno = sys_errno;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

int shmstate_fail(shmstate_error* err, int code, int sys_errno, const char* fmt, ...) {
  if (err != NULL) {
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, sys_errno, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* The code for an errno. EPERM/EACCES/ELOOP all mean "not ours to use": ELOOP is what
 * O_NOFOLLOW reports for a symlink planted under the name. */
static int code_for_errno(int sys_errno) {
  switch (sys_errno) {
    case ENOENT:
      return SHMSTATE_E_NOENT;
    case EEXIST:
      return SHMSTATE_E_EXISTS;
    case EACCES:
    case EPERM:
    case ELOOP:
      return SHMSTATE_E_PERM;
    case ENOSPC:
    case EDQUOT:
      return SHMSTATE_E_NOSPC;
    case EMFILE:
    case ENFILE:
      return SHMSTATE_E_LIMIT;
    case ENOMEM:
      return SHMSTATE_E_NOMEM;
    case ENAMETOOLONG:
      return SHMSTATE_E_NAME;
    default:
      return SHMSTATE_E_SYSTEM;
  }
}

int shmstate_fail_errno(shmstate_error* err, int sys_errno, const char* fmt, ...) {
  int code = code_for_errno(sys_errno);
  if (err != NULL) {
    char what[SHMSTATE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char reason[128];
    /* strerror_r: GNU form under _GNU_SOURCE returns the text, XSI form fills the buffer. */
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    const char* text = strerror_r(sys_errno, reason, sizeof reason);
#else
    const char* text = strerror_r(sys_errno, reason, sizeof reason) == 0 ? reason : "error";
#endif
    shmstate_fail(err, code, sys_errno, "%s: %s (errno %d)", what, text, sys_errno);
  }
  return code;
}

int shmstate_ok(shmstate_error* err) {
  if (err != NULL) {
    err->code = SHMSTATE_OK;
    err->sys_errno = 0;
    err->message[0] = '\0';
  }
  return SHMSTATE_OK;
}
