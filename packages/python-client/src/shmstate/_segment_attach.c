/*
 * Who is attached, on the Segment object. Every handle attaches (as a Python reader) when
 * it is opened or created, except those opened with inspect(): tools that look at a store
 * (`shmstate ls`, `info`, `doctor`) must not count as its users. The role follows what the
 * handle does, as in Node's Segment: the first commit makes it a writer for good, the
 * first wait or doorbell a subscriber (unless it writes). The list's numbers are the
 * table's, untrusted: shmstate.attachment names them. health() is the rest of what an
 * inspection tool looks at: the writer lock's state and the doorbells.
 */
#include "_native.h"

#include <stdlib.h>

void segment_take_role(SegmentObject* self, int role) {
  int now = self->role;
  /* 0: not attached (inspect). A writer stays one; a subscriber only becomes a writer. */
  if (now == 0 || now == role || now == SHMSTATE_ROLE_WRITER) return;
  if (role == SHMSTATE_ROLE_SUBSCRIBER && now != SHMSTATE_ROLE_READER) return;
  shmstate_error err = {0};
  /* Fails only for a role outside the enum or a handle not attached, neither possible
   * here; the listing is information, so a failure must not fail the commit. */
  if (shmstate_segment_set_role(self->seg, (shmstate_role)role, &err) == SHMSTATE_OK) {
    self->role = role;
  }
}

/* attached() -> [(index, role, language, pid, start_ns, alive, self), ...] */
PyObject* segment_attached(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  /* Room for a table of this build's size; a bigger one (made elsewhere) gets a second
   * call with room for the count the first reported. */
  size_t cap = SHMSTATE_ATTACH_TABLE_ENTRIES, count = 0;
  shmstate_attachment* entries = NULL;
  shmstate_error err = {0};
  int rc = SHMSTATE_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    shmstate_attachment* grown = realloc(entries, cap * sizeof *entries);
    if (grown == NULL) {
      free(entries);
      segment_leave(self);
      return PyErr_NoMemory();
    }
    entries = grown;
    PyThreadState* ts = PyEval_SaveThread();
    rc = shmstate_segment_attached(self->seg, entries, cap, &count, &err);
    PyEval_RestoreThread(ts);
    if (rc != SHMSTATE_OK || count <= cap) break;
    cap = count;
  }
  segment_leave(self);
  if (rc != SHMSTATE_OK) {
    free(entries);
    return native_raise_core(segment_module_state(self), &err);
  }
  if (count > cap) count = cap;
  PyObject* list = PyList_New((Py_ssize_t)count);
  for (size_t i = 0; list != NULL && i < count; i++) {
    const shmstate_attachment* a = &entries[i];
    PyObject* item = Py_BuildValue("(IIIIKOO)", a->index, a->role, a->language, a->pid,
                                   (unsigned long long)a->start_ns, a->alive ? Py_True : Py_False,
                                   a->self ? Py_True : Py_False);
    if (item == NULL)
      Py_CLEAR(list);
    else if (PyList_SetItem(list, (Py_ssize_t)i, item) < 0)
      Py_CLEAR(list);
  }
  free(entries);
  return list;
}

/* health() -> {"lock_state", "lock_owner_tid", "doorbells_used", "doorbells_dead"} */
PyObject* segment_health(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  shmstate_health h;
  shmstate_error err = {0};
  int rc = shmstate_segment_health(self->seg, &h, &err);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(segment_module_state(self), &err);
  static const char* const states[] = {"free", "held", "owner-died"};
  const char* state = h.lock_state < 3 ? states[h.lock_state] : "unknown";
  return Py_BuildValue("{sssIsIsI}", "lock_state", state, "lock_owner_tid", h.lock_owner_tid,
                       "doorbells_used", h.doorbells_used, "doorbells_dead", h.doorbells_dead);
}

/* doorbells() -> [(index, state, pid, path, rings), ...]: the entries that are not free. */
PyObject* segment_doorbells(SegmentObject* self, PyObject* unused) {
  (void)unused;
  if (segment_enter(self) < 0) return NULL;
  shmstate_doorbell_info entries[SHMSTATE_DOORBELL_MAX];
  size_t count = 0;
  shmstate_error err = {0};
  int rc = shmstate_segment_doorbells(self->seg, entries, SHMSTATE_DOORBELL_MAX, &count, &err);
  segment_leave(self);
  if (rc != SHMSTATE_OK) return native_raise_core(segment_module_state(self), &err);
  PyObject* list = PyList_New((Py_ssize_t)count);
  for (size_t i = 0; list != NULL && i < count; i++) {
    const shmstate_doorbell_info* d = &entries[i];
    PyObject* item = Py_BuildValue("(IIIOK)", d->index, d->state, d->pid,
                                   d->path ? Py_True : Py_False, (unsigned long long)d->rings);
    if (item == NULL)
      Py_CLEAR(list);
    else if (PyList_SetItem(list, (Py_ssize_t)i, item) < 0)
      Py_CLEAR(list);
  }
  return list;
}
