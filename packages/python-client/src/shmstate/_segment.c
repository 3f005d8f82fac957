/*
 * The Segment object: creating, opening and closing the core's handle.
 *
 * Lifetime: shmstate_segment_close must not race with any other call on the handle, so
 * every method counts itself in `busy` (segment_enter/leave, with the GIL held). close()
 * marks the object closed, stops the waits in flight, and the core handle is released
 * by whichever of close() or the last in-flight call comes last.
 */
#include "_native.h"

#include <stdio.h>
#include <stdlib.h>

module_state* segment_module_state(SegmentObject* self) {
  return (module_state*)PyType_GetModuleState(Py_TYPE(self));
}

PyObject* segment_raise_closed(SegmentObject* self) {
  const char* name = PyUnicode_AsUTF8AndSize(self->name, NULL);
  if (name == NULL) return NULL;
  char message[SHMSTATE_NAME_MAX + 64];
  snprintf(message, sizeof message, "segment \"%s\" is closed", name);
  return native_raise_code(segment_module_state(self), "E_CLOSED", message, 0);
}

/* All bookkeeping below runs with the GIL held, which is what makes it consistent. */
int segment_enter(SegmentObject* self) {
  if (self->closed) {
    segment_raise_closed(self);
    return -1;
  }
  self->busy++;
  return 0;
}

static void segment_release(SegmentObject* self) {
  shmstate_segment_close(self->seg);
  self->seg = NULL;
  free(self->scratch);
  self->scratch = NULL;
  segment_free_patches(self);
}

void segment_leave(SegmentObject* self) {
  if (--self->busy == 0 && self->closed && self->seg != NULL) segment_release(self);
}

void segment_stop_waiters(SegmentObject* self) {
  if (self->waiters == NULL) return;
  /* seq_cst: pairs with the core's seq_cst load of the flag in shmstate_segment_wait
   * (before and after it registers as a waiter); the wake that follows bumps the futex
   * word, so a waiter that read the flag just before this store cannot sleep through. */
  for (waiter* w = self->waiters; w != NULL; w = w->next) {
    __atomic_store_n(&w->stop, 1, __ATOMIC_SEQ_CST);
  }
  shmstate_segment_wake(self->seg);
}

typedef int (*open_fn)(void* args, shmstate_segment** out, int* created, shmstate_error* err);

/* Runs an open/create call without the GIL and wraps its result. `attach`: the handle is
 * listed in the attach table as a Python reader (every handle but inspect()'s); one that
 * cannot attach (the name was unlinked meanwhile, no descriptor left) is not handed out. */
static PyObject* segment_new(PyTypeObject* type, PyObject* name, open_fn fn, void* args,
                             int* created, int attach) {
  module_state* st = (module_state*)PyType_GetModuleState(type);
  shmstate_segment* seg = NULL;
  shmstate_error err = {0};
  PyThreadState* ts = PyEval_SaveThread();
  int rc = fn(args, &seg, created, &err);
  if (rc == SHMSTATE_OK && attach) {
    rc = shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_PYTHON, &err);
    if (rc != SHMSTATE_OK) shmstate_segment_close(seg);
  }
  PyEval_RestoreThread(ts);
  if (rc != SHMSTATE_OK) return native_raise_core(st, &err);
  allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
  SegmentObject* self = (SegmentObject*)alloc(type, 0);
  if (self == NULL) {
    shmstate_segment_close(seg);
    return NULL;
  }
  PyThread_type_lock lock = PyThread_allocate_lock();
  if (lock == NULL) {
    shmstate_segment_close(seg);
    Py_DECREF(self);
    return PyErr_NoMemory();
  }
  self->seg = seg;
  self->role = attach ? SHMSTATE_ROLE_READER : 0;
  self->scratch_lock = lock;
  Py_INCREF(name);
  self->name = name;
  return (PyObject*)self;
}

typedef struct {
  const char* name;
  const char* initial;
  Py_ssize_t initial_len;
  shmstate_create_options options; /* capacity, mode, version, the ring and the group */
  shmstate_open_options open;      /* open(): trust and read_only */
} create_args;

static int do_create(void* p, shmstate_segment** out, int* created, shmstate_error* err) {
  create_args* a = p;
  *created = 1;
  return shmstate_segment_create_with(a->name, &a->options, a->initial, (size_t)a->initial_len, out,
                                      err);
}

static int do_open(void* p, shmstate_segment** out, int* created, shmstate_error* err) {
  *created = 0;
  create_args* a = p;
  return shmstate_segment_open_with(a->name, &a->open, out, err);
}

static int do_open_or_create(void* p, shmstate_segment** out, int* created, shmstate_error* err) {
  create_args* a = p;
  return shmstate_segment_open_or_create_with(a->name, &a->options, a->initial,
                                              (size_t)a->initial_len, out, created, err);
}

/* A ring option: -1 (or absent) keeps the default set by shmstate_ring_default, else an
 * int >= 0 for the core to check. */
static int parse_ring_option(module_state* st, PyObject* obj, const char* what, uint64_t* out) {
  if (obj == NULL) return 0;
  if (PyLong_Check(obj)) {
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (value == -1 && PyErr_Occurred()) return -1;
    if (value == -1 && !overflow) return 0;
  }
  return native_arg_u64(st, obj, what, out);
}

/* Parses (name, capacity, mode, initial, version=1, ring_entries=-1, ring_patch_max=-1) for
 * create and open_or_create. A version of 0 goes through to the core, which refuses it
 * (E_INVALID). ring_entries -1 is the core's default ring for the capacity
 * (shmstate_ring_default), 0 no ring; ring_patch_max -1 is the default's patch size (none
 * without a ring). Every range is the core's to check. */
static int parse_create(PyTypeObject* type, PyObject* args, PyObject* kwargs, PyObject** name,
                        create_args* a) {
  static char* keywords[] = {
      "name",           "capacity",      "mode",   "initial", "version", "ring_entries",
      "ring_patch_max", "self_cleaning", "leader", "group",   NULL};
  module_state* st = (module_state*)PyType_GetModuleState(type);
  PyObject* capacity;
  PyObject* mode;
  PyObject* version = NULL;
  PyObject* ring_entries = NULL;
  PyObject* ring_patch_max = NULL;
  int self_cleaning = 0;
  const char* group = NULL;
  const char* leader = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UOOy#|OOOpzz", keywords, name, &capacity, &mode,
                                   &a->initial, &a->initial_len, &version, &ring_entries,
                                   &ring_patch_max, &self_cleaning, &leader, &group))
    return -1;
  if (group != NULL) {
    /* A name or a decimal gid; the core resolves it (E_INVALID for an unknown name). */
    shmstate_error err = {0};
    if (shmstate_group_parse(group, &a->options.group, &err) != SHMSTATE_OK) {
      native_raise_core((module_state*)PyType_GetModuleState(type), &err);
      return -1;
    }
    a->options.has_group = 1;
  }
  a->options.self_cleaning = self_cleaning ? 1 : 0;
  /* A leader makes a mirror (the core checks the text); it lives as long as `kwargs`. */
  a->options.mirror = leader != NULL ? 1 : 0;
  a->options.leader = leader;
  if ((a->name = native_arg_name(st, *name)) == NULL) return -1;
  shmstate_create_options* o = &a->options;
  if (native_arg_u64(st, capacity, "capacity", &o->capacity) < 0) return -1;
  o->initial_version = 1;
  if (version != NULL && native_arg_u64(st, version, "version", &o->initial_version) < 0) return -1;
  /* The mode's range is the core's (check_create_args): only a value too large for its
   * integer is refused here, in the words the core uses for any mode outside 0777. */
  uint64_t mode_bits;
  if (native_arg_u64(st, mode, "mode", &mode_bits) < 0) return -1;
  if (mode_bits > UINT32_MAX) {
    char message[96];
    snprintf(message, sizeof message, "mode is 0%llo; only permission bits 0777 are allowed",
             (unsigned long long)mode_bits);
    native_raise_invalid(st, message);
    return -1;
  }
  o->mode = (uint32_t)mode_bits;
  shmstate_ring_default(o);
  uint64_t entries = o->ring_entries;
  if (parse_ring_option(st, ring_entries, "ring_entries", &entries) < 0) return -1;
  if (entries > UINT32_MAX) { /* beyond the core's integer: its own words for any such value */
    char message[128];
    snprintf(message, sizeof message, "ring_entries is %llu; it must be 0 (no ring) or in [%u, %u]",
             (unsigned long long)entries, SHMSTATE_RING_ENTRIES_MIN, SHMSTATE_RING_ENTRIES_MAX);
    native_raise_invalid(st, message);
    return -1;
  }
  o->ring_entries = (uint32_t)entries;
  if (o->ring_entries == 0) o->ring_patch_max = 0; /* no ring: no patch size either */
  if (parse_ring_option(st, ring_patch_max, "ring_patch_max", &o->ring_patch_max) < 0) return -1;
  return 0;
}

static PyObject* segment_create(PyObject* cls, PyObject* args, PyObject* kwargs) {
  create_args a = {0};
  PyObject* name;
  int created;
  if (parse_create((PyTypeObject*)cls, args, kwargs, &name, &a) < 0) return NULL;
  return segment_new((PyTypeObject*)cls, name, do_create, &a, &created, 1);
}

static PyObject* segment_open_or_create(PyObject* cls, PyObject* args, PyObject* kwargs) {
  create_args a = {0};
  PyObject* name;
  int created = 0;
  if (parse_create((PyTypeObject*)cls, args, kwargs, &name, &a) < 0) return NULL;
  PyObject* seg = segment_new((PyTypeObject*)cls, name, do_open_or_create, &a, &created, 1);
  if (seg == NULL) return NULL;
  return Py_BuildValue("(NO)", seg, created ? Py_True : Py_False);
}

/* open(name, trust=None, read_only=False): trust a str in the core's grammar or None (the
 * environment's SHMSTATE_TRUST). */
static PyObject* segment_open(PyObject* cls, PyObject* args, PyObject* kwargs) {
  static char* keywords[] = {"name", "trust", "read_only", NULL};
  PyObject* name;
  create_args a = {0};
  int read_only = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|zp:open", keywords, &name, &a.open.trust,
                                   &read_only))
    return NULL;
  a.open.read_only = read_only ? 1 : 0;
  int created;
  if ((a.name = native_arg_name(PyType_GetModuleState((PyTypeObject*)cls), name)) == NULL)
    return NULL;
  return segment_new((PyTypeObject*)cls, name, do_open, &a, &created, 1);
}

typedef struct {
  const char* name;
  uint64_t timeout_ns;
  shmstate_open_options open;
} open_wait_args;

static int do_open_wait(void* p, shmstate_segment** out, int* created, shmstate_error* err) {
  open_wait_args* a = p;
  *created = 0;
  return shmstate_segment_open_wait_with(a->name, &a->open, a->timeout_ns, out, err);
}

/* open_wait(name, seconds, trust=None, read_only=False): seconds a float >= 0 or None (no
 * limit), checked by the caller (shmstate.opening), which also goes on after E_INTERRUPTED
 * once handlers have run; trust and read_only as for open(). */
static PyObject* segment_open_wait(PyObject* cls, PyObject* args, PyObject* kwargs) {
  static char* keywords[] = {"name", "seconds", "trust", "read_only", NULL};
  PyObject* name;
  PyObject* seconds;
  open_wait_args a = {NULL, SHMSTATE_WAIT_FOREVER, {0}};
  int read_only = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|zp:open_wait", keywords, &name, &seconds,
                                   &a.open.trust, &read_only))
    return NULL;
  a.open.read_only = read_only ? 1 : 0;
  if ((a.name = native_arg_name(PyType_GetModuleState((PyTypeObject*)cls), name)) == NULL)
    return NULL;
  if (seconds != Py_None) {
    double s = PyFloat_AsDouble(seconds);
    if (s == -1.0 && PyErr_Occurred()) return NULL;
    if (s < 1.8e10) a.timeout_ns = s <= 0 ? 0 : (uint64_t)(s * 1e9 + 0.5);
  }
  int created;
  return segment_new((PyTypeObject*)cls, name, do_open_wait, &a, &created, 1);
}

static PyObject* segment_inspect(PyObject* cls, PyObject* name) {
  create_args a = {0};
  int created;
  if ((a.name = native_arg_name(PyType_GetModuleState((PyTypeObject*)cls), name)) == NULL)
    return NULL;
  return segment_new((PyTypeObject*)cls, name, do_open, &a, &created, 0);
}

static PyObject* segment_unlink(PyObject* cls, PyObject* name) {
  module_state* st = (module_state*)PyType_GetModuleState((PyTypeObject*)cls);
  const char* c_name = native_arg_name(st, name);
  if (c_name == NULL) return NULL;
  shmstate_error err = {0};
  PyThreadState* ts = PyEval_SaveThread();
  int rc = shmstate_segment_unlink(c_name, &err);
  PyEval_RestoreThread(ts);
  if (rc != SHMSTATE_OK) return native_raise_core(st, &err);
  Py_RETURN_NONE;
}

static PyObject* segment_close(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (self->closed) Py_RETURN_NONE;
  self->closed = 1;
  /* Waits in flight return E_CLOSED; the last call to leave closes the core segment. */
  segment_stop_waiters(self);
  if (self->busy == 0) segment_release(self);
  Py_RETURN_NONE;
}

static PyObject* segment_set_lock_timeout(SegmentObject* self, PyObject* arg) {
  uint64_t ms;
  if (native_arg_u64(segment_module_state(self), arg, "lock timeout (ms)", &ms) < 0) return NULL;
  if (ms > UINT32_MAX)
    return native_raise_invalid(segment_module_state(self), "lock timeout is above 2^32-1 ms");
  if (segment_enter(self) < 0) return NULL;
  shmstate_segment_set_lock_timeout(self->seg, (uint32_t)ms);
  segment_leave(self);
  Py_RETURN_NONE;
}

static PyObject* segment_stats(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  shmstate_stats s = {0};
  shmstate_error err = {0};
  int rc = shmstate_segment_stats(self->seg, &s, &err);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(segment_module_state(self), &err);
  /* The fields of Node's stats(), in snake_case (the store id as an int here). */
  return Py_BuildValue(
      "{sKsKsKsKsKsIsIsIsKsKsKsKsIsKsKsKsOss}", "version", (unsigned long long)s.version,
      "capacity", (unsigned long long)s.capacity, "commits", (unsigned long long)s.commits,
      "conflicts", (unsigned long long)s.conflicts, "lock_recoveries",
      (unsigned long long)s.lock_recoveries, "waiters", (unsigned int)s.waiters, "layout_version",
      (unsigned int)s.layout_version, "doorbells", (unsigned int)s.doorbells, "doorbell_reclaims",
      (unsigned long long)s.doorbell_reclaims, "store_id", (unsigned long long)s.store_id, "flags",
      (unsigned long long)s.flags, "checkpoint_version", (unsigned long long)s.checkpoint_version,
      "ring_entries", (unsigned int)s.ring_entries, "ring_patch_max",
      (unsigned long long)s.ring_patch_max, "ring_patch_bytes",
      (unsigned long long)s.ring_patch_bytes, "last_commit_ns",
      (unsigned long long)s.last_commit_ns, "mirror",
      (s.flags & SHMSTATE_FLAG_MIRROR) ? Py_True : Py_False, "leader", s.leader);
}

static PyObject* segment_get_version(SegmentObject* self, void* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  uint64_t version = shmstate_segment_version(self->seg);
  segment_leave(self);
  return PyLong_FromUnsignedLongLong(version);
}

static PyObject* segment_get_capacity(SegmentObject* self, void* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  uint64_t capacity = shmstate_segment_capacity(self->seg);
  segment_leave(self);
  return PyLong_FromUnsignedLongLong(capacity);
}

static PyObject* segment_get_read_only(SegmentObject* self, void* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  int read_only = shmstate_segment_read_only(self->seg);
  segment_leave(self);
  return PyBool_FromLong(read_only);
}

static PyObject* segment_get_store_id(SegmentObject* self, void* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  uint64_t store_id = shmstate_segment_store_id(self->seg);
  segment_leave(self);
  return PyLong_FromUnsignedLongLong(store_id);
}

static PyObject* segment_get_name(SegmentObject* self, void* unused) {
  (void)unused;
  Py_INCREF(self->name);
  return self->name;
}

static PyObject* segment_get_closed(SegmentObject* self, void* unused) {
  (void)unused;
  return PyBool_FromLong(self->closed);
}

static PyObject* segment_get_wake_epoch(SegmentObject* self, void* unused) {
  (void)unused;
  return PyLong_FromUnsignedLongLong(self->wake_epoch);
}

static PyObject* segment_repr(SegmentObject* self) {
  return PyUnicode_FromFormat("<shmstate._native.Segment %R%s>", self->name,
                              self->closed ? " closed" : "");
}

static void segment_dealloc(SegmentObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  /* No call can be in flight: each one holds a reference to self. */
  if (self->seg != NULL) segment_release(self);
  if (self->scratch_lock != NULL) PyThread_free_lock(self->scratch_lock);
  Py_XDECREF(self->name);
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

static PyMethodDef segment_methods[] = {
    {"create", (PyCFunction)(void (*)(void))segment_create,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "create(name, capacity, mode, initial, version=1, ring_entries=-1, ring_patch_max=-1) "
     "-> Segment; ring_entries -1 is the default ring, 0 none"},
    {"open", (PyCFunction)(void (*)(void))segment_open, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "open(name, trust=None, read_only=False) -> Segment, attached as a reader"},
    {"open_wait", (PyCFunction)(void (*)(void))segment_open_wait,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "open_wait(name, seconds, trust=None, read_only=False) -> Segment, once the name exists "
     "(None: no time limit)"},
    {"inspect", (PyCFunction)segment_inspect, METH_O | METH_CLASS,
     "inspect(name) -> Segment, opened without attaching (not counted as a user)"},
    {"open_or_create", (PyCFunction)(void (*)(void))segment_open_or_create,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "open_or_create(name, capacity, mode, initial, version=1, ring_entries=-1, "
     "ring_patch_max=-1) -> (Segment, created)"},
    {"unlink", (PyCFunction)segment_unlink, METH_O | METH_CLASS, "unlink(name) -> None"},
    {"read", (PyCFunction)segment_read, METH_NOARGS, "read() -> (version, bytes)"},
    {"commit", (PyCFunction)(void (*)(void))segment_commit, METH_FASTCALL | METH_KEYWORDS,
     "commit(data, /, expected_version=0, version=0) -> version; a version above 0 is "
     "published as exactly that version (it must be above the current one)"},
    {"wait", (PyCFunction)(void (*)(void))segment_wait, METH_VARARGS | METH_KEYWORDS,
     "wait(seen_version, timeout=None, wake_epoch=None) -> version"},
    {"wake", (PyCFunction)segment_wake, METH_NOARGS, "wake() -> None"},
    {"ring_info", (PyCFunction)segment_ring_info, METH_NOARGS,
     "ring_info() -> (entries, patch_max, delta_bytes_max); zeros without a ring"},
    {"patch_plan", (PyCFunction)segment_patch_plan, METH_VARARGS,
     "patch_plan(expected_version, patch_len, state_length_after) -> checkpoint due"},
    {"commit_patch", (PyCFunction)segment_commit_patch, METH_VARARGS,
     "commit_patch(patch, state, state_len, expected_version) -> version; state is the "
     "full state after the patch (a checkpoint) or None"},
    {"read_delta", (PyCFunction)segment_read_delta, METH_NOARGS,
     "read_delta() -> (version, checkpoint_version, state, [patch, ...]): the patches lead "
     "from the checkpoint to version"},
    {"read_patches", (PyCFunction)segment_read_patches, METH_O,
     "read_patches(from_version) -> (version, need_full, [patch, ...])"},
    {"stats", (PyCFunction)segment_stats, METH_NOARGS, "stats() -> dict"},
    {"attached", (PyCFunction)segment_attached, METH_NOARGS,
     "attached() -> [(index, role, language, pid, start_ns, alive, self), ...]"},
    {"health", (PyCFunction)segment_health, METH_NOARGS,
     "health() -> {lock_state, lock_owner_tid, doorbells_used, doorbells_dead}"},
    {"set_lock_timeout", (PyCFunction)segment_set_lock_timeout, METH_O,
     "set_lock_timeout(ms) -> None"},
    {"close", (PyCFunction)segment_close, METH_NOARGS, "close() -> None (idempotent)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef segment_getset[] = {
    {"version", (getter)segment_get_version, NULL, "the published version", NULL},
    {"capacity", (getter)segment_get_capacity, NULL, "largest payload in bytes", NULL},
    {"store_id", (getter)segment_get_store_id, NULL, "64 random bits drawn at creation", NULL},
    {"read_only", (getter)segment_get_read_only, NULL,
     "whether the handle is read-only (asked for, or not writable by this user)", NULL},
    {"name", (getter)segment_get_name, NULL, "the segment name", NULL},
    {"closed", (getter)segment_get_closed, NULL, "whether close() was called", NULL},
    {"wake_epoch", (getter)segment_get_wake_epoch, NULL, "wake() calls on this handle", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot segment_slots[] = {
    {Py_tp_doc, "An open shmstate segment (the C core's handle)."},
    {Py_tp_dealloc, segment_dealloc},
    {Py_tp_repr, segment_repr},
    {Py_tp_methods, segment_methods},
    {Py_tp_getset, segment_getset},
    {0, NULL},
};

PyType_Spec segment_spec = {
    .name = "shmstate._native.Segment",
    .basicsize = sizeof(SegmentObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = segment_slots,
};
