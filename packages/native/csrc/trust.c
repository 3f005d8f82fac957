/*
 * Trust: which segment files an opener accepts. The rules, in the order they are checked:
 * a regular file (a symlink never gets here: O_NOFOLLOW), not world-writable, and owned by
 * the opener's effective uid or by someone it trusts (the SHMSTATE_TRUST grammar in
 * include/shmstate.h). Also the group names creators give.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* One "uid:<digits>" number: decimal, no sign, below 2^32-1 ((uid_t)-1 means "no uid"). */
static int parse_uid(const char* digits, size_t len, uint32_t* out) {
  if (len == 0 || len > 10) return 0;
  uint64_t value = 0;
  for (size_t i = 0; i < len; i++) {
    if (digits[i] < '0' || digits[i] > '9') return 0;
    value = value * 10 + (uint64_t)(digits[i] - '0');
  }
  if (value >= UINT32_MAX) return 0;
  *out = (uint32_t)value;
  return 1;
}

int shmstate_trust_parse(const char* text, shmstate_trust* out, shmstate_error* err) {
  if (out == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "trust output is NULL");
  memset(out, 0, sizeof *out);
  if (text == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "trust is NULL");
  if (*text == '\0') return shmstate_ok(err); /* trust no other uid */
  const char* item = text;
  for (;;) {
    const char* comma = strchr(item, ',');
    size_t len = comma != NULL ? (size_t)(comma - item) : strlen(item);
    if (len == 5 && memcmp(item, "group", 5) == 0) {
      out->group = 1;
    } else if (len > 4 && memcmp(item, "uid:", 4) == 0) {
      uint32_t uid;
      if (!parse_uid(item + 4, len - 4, &uid)) {
        return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                             "trust \"%.100s\": \"%.*s\" is not a uid (decimal, below 4294967295)",
                             text, (int)(len < 40 ? len : 40), item);
      }
      if (out->uid_count == SHMSTATE_TRUST_UIDS_MAX) {
        return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "trust \"%.100s\" names more than %d uids",
                             text, SHMSTATE_TRUST_UIDS_MAX);
      }
      out->uids[out->uid_count++] = uid;
    } else {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "trust \"%.100s\": \"%.*s\" is neither \"group\" nor \"uid:<number>\" "
                           "(items are separated by commas, without spaces)",
                           text, (int)(len < 40 ? len : 40), item);
    }
    if (comma == NULL) return shmstate_ok(err);
    item = comma + 1;
  }
}

int shmstate_group_parse(const char* text, uint32_t* gid, shmstate_error* err) {
  if (text == NULL || gid == NULL || *text == '\0') {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "group is empty");
  }
  if (parse_uid(text, strlen(text), gid)) return shmstate_ok(err);
  struct group entry, *found = NULL;
  char buf[4096];
  int rc = getgrnam_r(text, &entry, buf, sizeof buf, &found);
  if (rc != 0 || found == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, rc, "group \"%.100s\" is not a known group name",
                         text);
  }
  *gid = (uint32_t)found->gr_gid;
  return shmstate_ok(err);
}

/* Whether `gid` is this process's effective gid or one of its supplementary groups. */
static int in_my_groups(gid_t gid) {
  if (getegid() == gid) return 1;
  gid_t groups[256];
  int n = getgroups((int)(sizeof groups / sizeof groups[0]), groups);
  if (n < 0) {
    /* More groups than fit: look them up in a buffer of the right size. */
    int count = getgroups(0, NULL);
    if (count <= 0) return 0;
    gid_t* all = malloc((size_t)count * sizeof *all);
    if (all == NULL) return 0;
    n = getgroups(count, all);
    int found = 0;
    for (int i = 0; i < n; i++) found |= all[i] == gid;
    free(all);
    return found;
  }
  for (int i = 0; i < n; i++) {
    if (groups[i] == gid) return 1;
  }
  return 0;
}

/* Whether the trust accepts a file owned by another uid, and if not, why (for the message). */
static const char* refusal(const struct stat* st, const shmstate_trust* trust) {
  for (uint32_t i = 0; i < trust->uid_count; i++) {
    if (trust->uids[i] == (uint32_t)st->st_uid) return NULL;
  }
  if (trust->group) {
    /* Only its owner (who must belong to the group) or root can give a file a group: a
     * segment in one of our groups was put there for us. */
    if (in_my_groups(st->st_gid)) return NULL;
    return "its group is not one of this process's groups";
  }
  if (trust->uid_count > 0) return "that uid is not in the trust list";
  return "this process trusts no other uid (see SHMSTATE_TRUST)";
}

int shmstate_trust_check(const struct stat* st, const char* name, const shmstate_trust* trust,
                         shmstate_error* err) {
  if (!S_ISREG(st->st_mode)) {
    return shmstate_fail(err, SHMSTATE_E_PERM, 0, "segment \"%s\" is not a regular file", name);
  }
  if ((st->st_mode & S_IWOTH) != 0) {
    return shmstate_fail(err, SHMSTATE_E_PERM, 0,
                         "segment \"%s\" has mode 0%o: world-writable segments are not trusted",
                         name, (unsigned)(st->st_mode & 07777));
  }
  if (st->st_uid == geteuid()) return SHMSTATE_OK;
  const char* why = refusal(st, trust);
  if (why != NULL) {
    return shmstate_fail(err, SHMSTATE_E_PERM, 0,
                         "segment \"%s\" is owned by uid %u; this process runs as uid %u: not "
                         "trusted (group %u, mode 0%o): %s",
                         name, (unsigned)st->st_uid, (unsigned)geteuid(), (unsigned)st->st_gid,
                         (unsigned)(st->st_mode & 07777), why);
  }
  return SHMSTATE_OK;
}

int shmstate_trust_resolve(const char* explicit_trust, shmstate_trust* out, shmstate_error* err) {
  const char* text = explicit_trust;
  if (text == NULL) text = getenv(SHMSTATE_TRUST_ENV);
  if (text == NULL) {
    memset(out, 0, sizeof *out);
    return shmstate_ok(err);
  }
  int rc = shmstate_trust_parse(text, out, err);
  if (rc != SHMSTATE_OK && explicit_trust == NULL && err != NULL) {
    /* Say where the bad value came from: an operator set it, not the program. */
    char detail[SHMSTATE_ERROR_MESSAGE_MAX];
    memcpy(detail, err->message, sizeof detail);
    shmstate_fail(err, rc, 0, "%.180s (from the environment variable %s)", detail,
                  SHMSTATE_TRUST_ENV);
  }
  return rc;
}
