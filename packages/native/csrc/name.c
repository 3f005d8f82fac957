/*
 * Segment names: [A-Za-z0-9_][A-Za-z0-9._-]*, at most SHMSTATE_NAME_MAX bytes. The first
 * character excludes '.' and '-' so a name can never be "." or "..", never look like an
 * option, and the shm path "/shmstate.<name>" never gains a second '/'.
 */
#include <string.h>

#include "internal.h"

static int is_first_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int is_name_char(unsigned char c) { return is_first_char(c) || c == '.' || c == '-'; }

/* Copies up to 60 bytes of `name` into `out` with anything but printable ASCII shown as
 * \xNN, so the message stays valid UTF-8 for the bindings whatever bytes the name held. */
static void quote_name(const char* name, size_t len, char* out, size_t out_size) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < len && i < 60 && o + 5 < out_size; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out[o++] = (char)c;
    } else {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  if (len > 60 && o + 4 < out_size) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

int shmstate_name_check(const char* name, shmstate_error* err) {
  if (name == NULL) return shmstate_fail(err, SHMSTATE_E_NAME, 0, "segment name is missing");
  size_t len = strnlen(name, SHMSTATE_NAME_MAX + 1);
  if (len == 0) return shmstate_fail(err, SHMSTATE_E_NAME, 0, "segment name is empty");
  char quoted[4 * 60 + 8];
  if (len > SHMSTATE_NAME_MAX) {
    quote_name(name, len, quoted, sizeof quoted);
    return shmstate_fail(err, SHMSTATE_E_NAME, 0, "segment name \"%s\" is longer than %d bytes",
                         quoted, SHMSTATE_NAME_MAX);
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (i == 0 ? !is_first_char(c) : !is_name_char(c)) {
      quote_name(name, len, quoted, sizeof quoted);
      return shmstate_fail(err, SHMSTATE_E_NAME, 0,
                           "segment name \"%s\" has a character not allowed at byte %zu; "
                           "names match [A-Za-z0-9_][A-Za-z0-9._-]*",
                           quoted, i);
    }
  }
  return shmstate_ok(err);
}
