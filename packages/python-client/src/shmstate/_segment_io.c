/*
 * Segment methods that move data or block: read, commit, wait, wake.
 *
 * Each releases the GIL around the core call when it may block or copy much; the
 * buffers it hands the core stay valid without the GIL (immutable bytes we hold, or
 * memory this file owns).
 */
#include "_native.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The longest a wait blocks with the GIL released before it checks for signals. */
#define WAIT_SLICE_NS 100000000LL

PyObject* segment_read(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  size_t cap = (size_t)shmstate_segment_capacity(self->seg);
  unsigned char* buf = NULL;
  int own_scratch = PyThread_acquire_lock(self->scratch_lock, NOWAIT_LOCK);
  if (own_scratch) {
    if (self->scratch == NULL) self->scratch = malloc(cap ? cap : 1);
    buf = self->scratch;
  } else {
    buf = malloc(cap ? cap : 1); /* another thread is copying into scratch */
  }
  PyObject* result = NULL;
  if (buf == NULL) {
    PyErr_NoMemory();
  } else {
    size_t len = 0;
    uint64_t version = 0;
    shmstate_error err = {0};
    int rc;
    if (self->last_read_len >= READ_RELEASE_GIL_BYTES) {
      PyThreadState* ts = PyEval_SaveThread();
      rc = shmstate_segment_read(self->seg, buf, cap, &len, &version, &err);
      PyEval_RestoreThread(ts);
    } else {
      rc = shmstate_segment_read(self->seg, buf, cap, &len, &version, &err);
    }
    if (rc != SHMSTATE_OK) {
      native_raise_core(segment_module_state(self), &err);
    } else {
      self->last_read_len = len;
      result = Py_BuildValue("(Ky#)", (unsigned long long)version, buf, (Py_ssize_t)len);
    }
  }
  if (own_scratch) {
    PyThread_release_lock(self->scratch_lock);
  } else {
    free(buf);
  }
  segment_leave(self);
  return result;
}

/* The optional arguments of commit(), by position after `data` and by keyword. */
static const char* const commit_keywords[] = {"expected_version", "version", "mirror"};
#define COMMIT_OPTIONS 3

/*
 * commit(data, /, expected_version=0, version=0, mirror=False) -> version: the hot path of
 * every set(). A version above 0 is published as exactly that version
 * (shmstate_segment_commit_at, E_CONFLICT unless it is above the current version); 0 commits
 * the next one. mirror=True is the bridge's write into a mirror store
 * (shmstate_segment_mirror_commit: version required, expected_version ignored).
 */
PyObject* segment_commit(SegmentObject* self, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames) {
  module_state* st = segment_module_state(self);
  if (nargs < 1 || nargs > 1 + COMMIT_OPTIONS) {
    PyErr_SetString(PyExc_TypeError,
                    "commit(data, expected_version=0, version=0, mirror=False) takes 1 to 4 "
                    "arguments");
    return NULL;
  }
  PyObject* options[COMMIT_OPTIONS] = {NULL, NULL, NULL};
  for (Py_ssize_t i = 1; i < nargs; i++) options[i - 1] = args[i];
  Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_Size(kwnames);
  for (Py_ssize_t k = 0; k < nkw; k++) {
    PyObject* key = PyTuple_GetItem(kwnames, k);
    if (key == NULL) return NULL;
    int slot = -1;
    for (int o = 0; o < COMMIT_OPTIONS && slot < 0; o++) {
      if (PyUnicode_CompareWithASCIIString(key, commit_keywords[o]) == 0) slot = o;
    }
    if (slot < 0) {
      PyErr_Format(PyExc_TypeError, "commit() got an unexpected keyword argument %R", key);
      return NULL;
    }
    if (options[slot] != NULL) {
      PyErr_Format(PyExc_TypeError, "commit() got multiple values for argument '%s'",
                   commit_keywords[slot]);
      return NULL;
    }
    options[slot] = args[nargs + k];
  }
  if (!PyBytes_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "data must be bytes");
    return NULL;
  }
  uint64_t expected = 0, at = 0;
  if (options[0] != NULL && native_arg_u64(st, options[0], "expected_version", &expected) < 0)
    return NULL;
  if (options[1] != NULL && native_arg_u64(st, options[1], "version", &at) < 0) return NULL;
  int mirror = options[2] != NULL ? PyObject_IsTrue(options[2]) : 0;
  if (mirror < 0) return NULL;
  char* data;
  Py_ssize_t len;
  if (PyBytes_AsStringAndSize(args[0], &data, &len) < 0) return NULL;
  if (segment_enter(self) < 0) return NULL;
  segment_take_role(self, SHMSTATE_ROLE_WRITER);
  uint64_t version = 0;
  shmstate_error err = {0};
  /* `data` stays valid without the GIL: args[0] is an immutable bytes we hold. */
  PyThreadState* ts = PyEval_SaveThread();
  int rc =
      mirror ? shmstate_segment_mirror_commit(self->seg, data, (size_t)len, at, &version, &err)
      : at == 0
          ? shmstate_segment_commit(self->seg, data, (size_t)len, expected, &version, &err)
          : shmstate_segment_commit_at(self->seg, data, (size_t)len, expected, at, &version, &err);
  PyEval_RestoreThread(ts);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(st, &err);
  return PyLong_FromUnsignedLongLong(version);
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * wait(seen_version, timeout=None, wake_epoch=None) -> version
 *
 * Blocks in slices of at most WAIT_SLICE_NS with the GIL released; between slices (and
 * on E_INTERRUPTED) it runs the signal handlers, so Ctrl-C raises KeyboardInterrupt
 * within a slice. Returns the version seen, which equals seen_version only when wake()
 * or close() cut the wait short. With wake_epoch (read from the wake_epoch property
 * before the caller checked its own stop flag) a wake() that came in between returns
 * at once instead of being lost.
 */
PyObject* segment_wait(SegmentObject* self, PyObject* args, PyObject* kwargs) {
  static char* keywords[] = {"seen_version", "timeout", "wake_epoch", NULL};
  module_state* st = segment_module_state(self);
  PyObject *seen_obj, *timeout_obj = Py_None, *epoch_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO", keywords, &seen_obj, &timeout_obj,
                                   &epoch_obj))
    return NULL;
  uint64_t seen = 0, epoch = 0;
  if (native_arg_u64(st, seen_obj, "seen_version", &seen) < 0) return NULL;
  if (epoch_obj != Py_None && native_arg_u64(st, epoch_obj, "wake_epoch", &epoch) < 0) return NULL;
  double timeout = -1.0;
  if (timeout_obj != Py_None) {
    timeout = PyFloat_AsDouble(timeout_obj);
    if (timeout == -1.0 && PyErr_Occurred()) return NULL;
    if (!(timeout >= 0.0 && timeout < 1e9))
      return native_raise_invalid(st, "timeout must be >= 0 s");
  }
  if (segment_enter(self) < 0) return NULL;
  segment_take_role(self, SHMSTATE_ROLE_SUBSCRIBER);
  waiter me = {.stop = epoch_obj != Py_None && epoch != self->wake_epoch, .next = self->waiters};
  self->waiters = &me;
  int64_t deadline = timeout < 0 ? -1 : monotonic_ns() + (int64_t)(timeout * 1e9);
  PyObject* result = NULL;
  for (;;) {
    if (me.stop) { /* cut short by wake(): report the version as it is now */
      result = PyLong_FromUnsignedLongLong(shmstate_segment_version(self->seg));
      break;
    }
    int64_t slice = WAIT_SLICE_NS;
    if (deadline >= 0) {
      int64_t left = deadline - monotonic_ns();
      slice = left < 0 ? 0 : (left < slice ? left : slice);
    }
    uint64_t version = 0;
    shmstate_error err = {0};
    PyThreadState* ts = PyEval_SaveThread();
    int rc = shmstate_segment_wait(self->seg, seen, slice, &me.stop, &version, &err);
    PyEval_RestoreThread(ts);
    if (rc == SHMSTATE_OK) {
      result = PyLong_FromUnsignedLongLong(version);
      break;
    }
    if (rc != SHMSTATE_E_TIMEOUT && rc != SHMSTATE_E_INTERRUPTED && rc != SHMSTATE_E_CLOSED) {
      native_raise_core(st, &err);
      break;
    }
    /* A slice ended: run signal handlers (Ctrl-C) before blocking again. */
    if (PyErr_CheckSignals() < 0) break;
    if (self->closed) {
      segment_raise_closed(self);
      break;
    }
    if (!me.stop && deadline >= 0 && monotonic_ns() >= deadline) {
      char message[160];
      snprintf(message, sizeof message, "no version after %llu within %g s",
               (unsigned long long)seen, timeout);
      native_raise_code(st, "E_TIMEOUT", message, 0);
      break;
    }
  }
  waiter** link = &self->waiters;
  while (*link != &me) link = &(*link)->next;
  *link = me.next;
  segment_leave(self);
  return result;
}

PyObject* segment_wake(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  self->wake_epoch++;
  segment_stop_waiters(self);
  segment_leave(self);
  Py_RETURN_NONE;
}
