/*
 * Segment methods for the patch ring (docs/protocol.md, "The patch ring"): its geometry,
 * the checkpoint plan, a patch commit, and the two delta reads (fresh and catch-up).
 *
 * Thin like the rest: what a patch means and how it applies is shmstate.cache's and
 * shmstate.writes'. The reads copy into one buffer per segment, sized from ring_info on
 * first use and guarded by scratch_lock with the state scratch (a thread that finds the
 * lock taken mallocs its own for the call). The GIL is released around every core call
 * that takes the writer lock, and around reads whose previous result was large (as read()
 * does).
 */
#include "_native.h"

#include <stdlib.h>

void segment_free_patches(SegmentObject* self) {
  free(self->patches.bytes);
  free(self->patches.entries);
  self->patches.bytes = NULL;
  self->patches.entries = NULL;
  self->patches.bytes_cap = 0;
  self->patches.entries_cap = 0;
}

/* A patch buffer as the fresh read needs it (which is more than a catch-up read needs):
 * delta_bytes_max bytes and one entry per ring entry; empty without a ring. */
static int patches_alloc(const shmstate_segment* seg, shmstate_patch_buffer* pb) {
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  pb->bytes_cap = (size_t)info.delta_bytes_max;
  pb->entries_cap = info.entries;
  pb->bytes = malloc(pb->bytes_cap ? pb->bytes_cap : 1);
  pb->entries = malloc(sizeof(shmstate_patch) * (pb->entries_cap ? pb->entries_cap : 1));
  if (pb->bytes == NULL || pb->entries == NULL) {
    free(pb->bytes);
    free(pb->entries);
    return -1;
  }
  return 0;
}

/* The buffers of one read call: the segment's own when scratch_lock is free, else the
 * call's. `state` is only made when want_state. */
typedef struct {
  int own; /* holds scratch_lock: the buffers are the segment's */
  unsigned char* state;
  shmstate_patch_buffer* patches;
  shmstate_patch_buffer local;
} read_buffers;

static int buffers_take(SegmentObject* self, int want_state, read_buffers* b) {
  size_t cap = (size_t)shmstate_segment_capacity(self->seg);
  b->own = PyThread_acquire_lock(self->scratch_lock, NOWAIT_LOCK);
  b->state = NULL;
  b->local = (shmstate_patch_buffer){0};
  if (b->own) {
    if (want_state && self->scratch == NULL) self->scratch = malloc(cap ? cap : 1);
    if (self->patches.bytes == NULL && patches_alloc(self->seg, &self->patches) < 0) {
      self->patches = (shmstate_patch_buffer){0};
    }
    b->state = self->scratch;
    b->patches = self->patches.bytes == NULL ? NULL : &self->patches;
  } else {
    if (want_state) b->state = malloc(cap ? cap : 1);
    b->patches = patches_alloc(self->seg, &b->local) < 0 ? NULL : &b->local;
  }
  if ((want_state && b->state == NULL) || b->patches == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

static void buffers_give(SegmentObject* self, read_buffers* b) {
  if (b->own) {
    PyThread_release_lock(self->scratch_lock);
  } else {
    free(b->state);
    free(b->local.bytes);
    free(b->local.entries);
  }
}

/* The patches in `pb`, appended to `list` as bytes. */
static int append_patches(PyObject* list, const shmstate_patch_buffer* pb) {
  const char* bytes = pb->bytes;
  for (size_t i = 0; i < pb->count; i++) {
    const shmstate_patch* p = &pb->entries[i];
    PyObject* patch = PyBytes_FromStringAndSize(bytes + p->offset, (Py_ssize_t)p->length);
    if (patch == NULL || PyList_Append(list, patch) < 0) {
      Py_XDECREF(patch);
      return -1;
    }
    Py_DECREF(patch);
  }
  return 0;
}

PyObject* segment_ring_info(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  shmstate_ring_info info;
  shmstate_segment_ring_info(self->seg, &info);
  segment_leave(self);
  return Py_BuildValue("(IKK)", (unsigned int)info.entries, (unsigned long long)info.patch_max,
                       (unsigned long long)info.delta_bytes_max);
}

/* patch_plan(expected_version, patch_len, state_length_after) -> bool: whether the patch
 * commit must carry the full state. Takes the writer lock briefly: the GIL is released. */
PyObject* segment_patch_plan(SegmentObject* self, PyObject* args) {
  module_state* st = segment_module_state(self);
  PyObject *expected_obj, *patch_len_obj, *state_len_obj;
  if (!PyArg_ParseTuple(args, "OOO:patch_plan", &expected_obj, &patch_len_obj, &state_len_obj))
    return NULL;
  uint64_t expected, patch_len, state_len;
  if (native_arg_u64(st, expected_obj, "expected_version", &expected) < 0 ||
      native_arg_u64(st, patch_len_obj, "patch_len", &patch_len) < 0 ||
      native_arg_u64(st, state_len_obj, "state_length_after", &state_len) < 0)
    return NULL;
  if (segment_enter(self) < 0) return NULL;
  int due = 0;
  shmstate_error err = {0};
  PyThreadState* ts = PyEval_SaveThread();
  int rc =
      shmstate_segment_patch_plan(self->seg, expected, (size_t)patch_len, state_len, &due, &err);
  PyEval_RestoreThread(ts);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(st, &err);
  return PyBool_FromLong(due);
}

/* commit_patch(patch, state, state_len, expected_version, mirror=False) -> version. `state`
 * is bytes (the commit is a checkpoint too) or None. Both buffers are immutable bytes we
 * hold, so they stay valid without the GIL. mirror=True: the bridge's write into a mirror
 * (shmstate_segment_mirror_patch). */
PyObject* segment_commit_patch(SegmentObject* self, PyObject* args) {
  module_state* st = segment_module_state(self);
  PyObject *patch_obj, *state_obj, *state_len_obj, *expected_obj;
  int mirror = 0;
  if (!PyArg_ParseTuple(args, "SOOO|p:commit_patch", &patch_obj, &state_obj, &state_len_obj,
                        &expected_obj, &mirror))
    return NULL;
  if (state_obj != Py_None && !PyBytes_Check(state_obj)) {
    PyErr_SetString(PyExc_TypeError, "state must be bytes or None");
    return NULL;
  }
  uint64_t state_len, expected;
  if (native_arg_u64(st, state_len_obj, "state_len", &state_len) < 0 ||
      native_arg_u64(st, expected_obj, "expected_version", &expected) < 0)
    return NULL;
  if (state_obj != Py_None && (uint64_t)PyBytes_Size(state_obj) != state_len)
    return native_raise_invalid(st, "state_len must be the length of state when state is given");
  const char* patch = PyBytes_AsString(patch_obj);
  size_t patch_len = (size_t)PyBytes_Size(patch_obj);
  const char* state = state_obj == Py_None ? NULL : PyBytes_AsString(state_obj);
  if (segment_enter(self) < 0) return NULL;
  segment_take_role(self, SHMSTATE_ROLE_WRITER);
  uint64_t version = 0;
  shmstate_error err = {0};
  PyThreadState* ts = PyEval_SaveThread();
  int rc = mirror ? shmstate_segment_mirror_patch(self->seg, patch, patch_len, state,
                                                  (size_t)state_len, expected, &version, &err)
                  : shmstate_segment_commit_patch(self->seg, patch, patch_len, state,
                                                  (size_t)state_len, expected, &version, &err);
  PyEval_RestoreThread(ts);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(st, &err);
  return PyLong_FromUnsignedLongLong(version);
}

/* read_delta() -> (version, checkpoint_version, state, [patch, ...]): a fresh read; the
 * patches lead from the checkpoint to version, in order. */
PyObject* segment_read_delta(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  module_state* st = segment_module_state(self);
  read_buffers b;
  PyObject* result = NULL;
  if (buffers_take(self, 1, &b) == 0) {
    size_t cap = (size_t)shmstate_segment_capacity(self->seg);
    size_t len = 0;
    uint64_t checkpoint = 0, version = 0;
    shmstate_error err = {0};
    int rc;
    if (self->last_read_len + self->last_patches_len >= READ_RELEASE_GIL_BYTES) {
      PyThreadState* ts = PyEval_SaveThread();
      rc = shmstate_segment_read_delta(self->seg, b.state, cap, &len, &checkpoint, b.patches,
                                       &version, &err);
      PyEval_RestoreThread(ts);
    } else {
      rc = shmstate_segment_read_delta(self->seg, b.state, cap, &len, &checkpoint, b.patches,
                                       &version, &err);
    }
    PyObject* list = NULL;
    if (rc != SHMSTATE_OK) {
      native_raise_core(st, &err);
    } else if ((list = PyList_New(0)) != NULL && append_patches(list, b.patches) == 0) {
      self->last_read_len = len;
      self->last_patches_len = b.patches->used;
      result = Py_BuildValue("(KKy#O)", (unsigned long long)version, (unsigned long long)checkpoint,
                             b.state, (Py_ssize_t)len, list);
    }
    Py_XDECREF(list);
  }
  buffers_give(self, &b);
  segment_leave(self);
  return result;
}

/*
 * read_patches(from_version) -> (version, need_full, [patch, ...]): a catch-up read. Calls
 * the core until the patches reach the version published when the call began (one call
 * returns fewer when the buffer fills up). need_full: some patch is not in the ring any
 * more (or the segment has none); no patches then, and version is the published one.
 */
PyObject* segment_read_patches(SegmentObject* self, PyObject* arg) {
  module_state* st = segment_module_state(self);
  uint64_t from;
  if (native_arg_u64(st, arg, "from_version", &from) < 0) return NULL;
  if (segment_enter(self) < 0) return NULL;
  read_buffers b;
  PyObject* result = NULL;
  PyObject* list = NULL;
  if (buffers_take(self, 0, &b) == 0 && (list = PyList_New(0)) != NULL) {
    uint64_t target = shmstate_segment_version(self->seg);
    int need_full = 0;
    size_t total = 0;
    for (;;) {
      uint64_t reached = from;
      shmstate_error err = {0};
      int rc;
      if (self->last_patches_len >= READ_RELEASE_GIL_BYTES) {
        PyThreadState* ts = PyEval_SaveThread();
        rc = shmstate_segment_read_patches(self->seg, from, b.patches, &reached, &need_full, &err);
        PyEval_RestoreThread(ts);
      } else {
        rc = shmstate_segment_read_patches(self->seg, from, b.patches, &reached, &need_full, &err);
      }
      if (rc != SHMSTATE_OK) {
        native_raise_core(st, &err);
        break;
      }
      if (need_full) {
        Py_DECREF(list); /* the patches of earlier calls are of no use now */
        list = PyList_New(0);
        from = shmstate_segment_version(self->seg);
      } else if (append_patches(list, b.patches) < 0) {
        break;
      }
      total += b.patches->used;
      /* Caught up with `target` (or more), or nothing more to read. */
      if (need_full || b.patches->count == 0 || (from = reached) >= target) {
        self->last_patches_len = total;
        if (list != NULL) {
          result = Py_BuildValue("(KOO)", (unsigned long long)from, need_full ? Py_True : Py_False,
                                 list);
        }
        break;
      }
    }
  }
  Py_XDECREF(list);
  buffers_give(self, &b);
  segment_leave(self);
  return result;
}
