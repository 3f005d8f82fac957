/*
 * The Doorbell object: a doorbell (shmstate.h and docs/protocol.md, "Doorbells")
 * registered on a Segment for an event loop to poll; shmstate.aio hands its fd to
 * asyncio's loop.add_reader. When the fd is readable the loop runs one delivery turn,
 * the policy the Node addon uses too:
 *
 *   turn_begin(); deliver the latest change; repeat while turn_again(); turn_end()
 *
 * Lifetime: the core wants the segment to outlive the doorbell, so an open doorbell counts
 * as a call in flight on its Segment (segment_enter at open, segment_leave at close).
 * Segment.close() still marks the segment closed at once; the core handle is released
 * once the doorbell is closed too.
 *
 * Every method runs with the GIL held and never blocks (atomics, a non-blocking recvmmsg,
 * at most one non-blocking send), except the open, which may scan the table and probe
 * dead entries, without the GIL.
 *
 * fork: the entry names the process that opened the doorbell. In any other process (a
 * forked child) every method but close() raises E_CLOSED, and close() (or dealloc) only
 * closes that process's copy of the socket: unregistering there would free the parent's
 * entry.
 */
#include "_native.h"

#include <stdio.h>
#include <unistd.h>

typedef struct {
  PyObject ob_base;
  SegmentObject* segment;  /* strong reference; one of its `busy` calls while open */
  shmstate_doorbell* bell; /* NULL once closed */
  pid_t pid;               /* the process that opened it: the only one that may use it */
  int fd;
} DoorbellObject;

static module_state* doorbell_module_state(DoorbellObject* self) {
  return (module_state*)PyType_GetModuleState(Py_TYPE(self));
}

static PyObject* doorbell_raise_closed(DoorbellObject* self, const char* why) {
  const char* name = PyUnicode_AsUTF8AndSize(self->segment->name, NULL);
  if (name == NULL) return NULL;
  char message[SHMSTATE_NAME_MAX + 160];
  snprintf(message, sizeof message, "the doorbell of segment \"%s\" %s", name, why);
  return native_raise_code(doorbell_module_state(self), "E_CLOSED", message, 0);
}

/* 0 if the doorbell may be used here and now, else -1 with E_CLOSED raised. */
static int doorbell_usable(DoorbellObject* self) {
  if (self->bell == NULL) {
    doorbell_raise_closed(self, "is closed");
    return -1;
  }
  if (getpid() != self->pid) {
    char why[128];
    snprintf(why, sizeof why, "belongs to process %ld: a forked child must open its own",
             (long)self->pid);
    doorbell_raise_closed(self, why);
    return -1;
  }
  return 0;
}

static PyObject* doorbell_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static char* keywords[] = {"segment", NULL};
  module_state* st = (module_state*)PyType_GetModuleState(type);
  PyObject* arg;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:Doorbell", keywords, &arg)) return NULL;
  if (!PyObject_TypeCheck(arg, (PyTypeObject*)st->segment_type)) {
    return native_raise_invalid(st, "segment must be a shmstate._native.Segment");
  }
  SegmentObject* segment = (SegmentObject*)arg;
  if (segment_enter(segment) < 0) return NULL;
  segment_take_role(segment, SHMSTATE_ROLE_SUBSCRIBER);
  shmstate_doorbell* bell = NULL;
  shmstate_error err = {0};
  PyThreadState* ts = PyEval_SaveThread();
  int rc = shmstate_doorbell_open(segment->seg, &bell, &err);
  PyEval_RestoreThread(ts);
  if (rc != SHMSTATE_OK) {
    segment_leave(segment);
    return native_raise_core(st, &err);
  }
  allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
  DoorbellObject* self = (DoorbellObject*)alloc(type, 0);
  if (self == NULL) {
    shmstate_doorbell_close(bell);
    segment_leave(segment);
    return NULL;
  }
  Py_INCREF(segment);
  self->segment = segment;
  self->bell = bell;
  self->pid = getpid();
  self->fd = shmstate_doorbell_fd(bell);
  return (PyObject*)self;
}

static void doorbell_release(DoorbellObject* self) {
  shmstate_doorbell* bell = self->bell;
  if (bell == NULL) return;
  self->bell = NULL;
  if (getpid() == self->pid) {
    shmstate_doorbell_close(bell); /* unregisters, then closes the socket */
  } else {
    /* A forked child: the entry is the parent's, so only this process's copy of the
     * socket goes (the core has no call for that; the small struct stays behind). */
    close(self->fd);
  }
  segment_leave(self->segment);
}

static PyObject* doorbell_fileno(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  if (doorbell_usable(self) < 0) return NULL;
  return PyLong_FromLong(self->fd);
}

static PyObject* doorbell_turn_begin(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  if (doorbell_usable(self) < 0) return NULL;
  shmstate_doorbell_turn_begin(self->bell);
  Py_RETURN_NONE;
}

static PyObject* doorbell_turn_again(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  if (doorbell_usable(self) < 0) return NULL;
  return PyBool_FromLong(shmstate_doorbell_turn_again(self->bell));
}

typedef int (*arm_fn)(shmstate_doorbell* bell, int* rang, shmstate_error* err);

static PyObject* doorbell_call_arm(DoorbellObject* self, arm_fn fn) {
  if (doorbell_usable(self) < 0) return NULL;
  int rang = 0;
  shmstate_error err = {0};
  if (fn(self->bell, &rang, &err) != SHMSTATE_OK) {
    return native_raise_core(doorbell_module_state(self), &err);
  }
  return PyBool_FromLong(rang);
}

static PyObject* doorbell_turn_end(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  return doorbell_call_arm(self, shmstate_doorbell_turn_end);
}

static PyObject* doorbell_arm(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  return doorbell_call_arm(self, shmstate_doorbell_arm);
}

static PyObject* doorbell_close(DoorbellObject* self, PyObject* unused) {
  (void)unused;
  doorbell_release(self);
  Py_RETURN_NONE;
}

static PyObject* doorbell_get_closed(DoorbellObject* self, void* unused) {
  (void)unused;
  return PyBool_FromLong(self->bell == NULL);
}

static PyObject* doorbell_get_pid(DoorbellObject* self, void* unused) {
  (void)unused;
  return PyLong_FromLong((long)self->pid);
}

static PyObject* doorbell_repr(DoorbellObject* self) {
  return PyUnicode_FromFormat("<shmstate._native.Doorbell %R%s>", self->segment->name,
                              self->bell == NULL ? " closed" : "");
}

static void doorbell_dealloc(DoorbellObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  if (self->segment != NULL) {
    doorbell_release(self);
    Py_DECREF(self->segment);
  }
  freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
  tp_free(self);
  Py_DECREF(type);
}

static PyMethodDef doorbell_methods[] = {
    {"fileno", (PyCFunction)doorbell_fileno, METH_NOARGS,
     "fileno() -> int: the socket to poll for readability (do not close it)"},
    {"turn_begin", (PyCFunction)doorbell_turn_begin, METH_NOARGS,
     "turn_begin() -> None: starts a delivery turn (notes the notification word and the "
     "version)"},
    {"turn_again", (PyCFunction)doorbell_turn_again, METH_NOARGS,
     "turn_again() -> bool: True if a newer version landed during the last delivery "
     "(bounded per turn): deliver again"},
    {"turn_end", (PyCFunction)doorbell_turn_end, METH_NOARGS,
     "turn_end() -> bool: empties the socket and re-arms; True if it rang itself because a "
     "commit slipped in. E_CLOSED if the entry was taken away"},
    {"arm", (PyCFunction)doorbell_arm, METH_NOARGS,
     "arm() -> bool: re-arms (see turn_end) without emptying the socket"},
    {"close", (PyCFunction)doorbell_close, METH_NOARGS,
     "close() -> None: unregisters and closes the socket (idempotent)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef doorbell_getset[] = {
    {"closed", (getter)doorbell_get_closed, NULL, "whether close() was called", NULL},
    {"pid", (getter)doorbell_get_pid, NULL, "the process that opened it", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot doorbell_slots[] = {
    {Py_tp_doc,
     "Doorbell(segment): a doorbell registered on an open Segment, for an event loop to "
     "poll (E_LIMIT when the segment's 64 entries are taken by live subscribers)."},
    {Py_tp_new, doorbell_new},
    {Py_tp_dealloc, doorbell_dealloc},
    {Py_tp_repr, doorbell_repr},
    {Py_tp_methods, doorbell_methods},
    {Py_tp_getset, doorbell_getset},
    {0, NULL},
};

static PyType_Spec doorbell_spec = {
    .name = "shmstate._native.Doorbell",
    .basicsize = sizeof(DoorbellObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = doorbell_slots,
};

int doorbell_add_type(PyObject* module) {
  PyObject* type = PyType_FromModuleAndSpec(module, &doorbell_spec, NULL);
  if (type == NULL) return -1;
  int rc = PyModule_AddType(module, (PyTypeObject*)type);
  Py_DECREF(type);
  if (rc < 0) return -1;
  if (PyModule_AddIntConstant(module, "DOORBELL_MAX", SHMSTATE_DOORBELL_MAX) < 0) return -1;
  return PyModule_AddIntConstant(module, "DOORBELL_DELIVERIES_PER_TURN",
                                 SHMSTATE_DOORBELL_DELIVERIES_PER_TURN);
}
