/*
 * What the files of shmstate._native share: the module state, the Segment object and
 * the helpers that turn arguments and core failures into Python values and errors.
 * All of it is used with the GIL held unless a comment says otherwise.
 */
#ifndef SHMSTATE_PY_NATIVE_H
#define SHMSTATE_PY_NATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <stdint.h>

#include "_codec/_codec.h" /* the JSON codec: encode, diff and the dialect's limits */
#include "shmstate.h"

typedef struct {
  PyObject* segment_type;
  PyObject* error_factory; /* shmstate.errors.error_for(code, message, sys_errno) */
  diff_words diff_words;   /* interned strings (not tracked by the collector) */
} module_state;

/* ---- _native.c: errors and arguments ---- */

/* Raise the shmstate.errors class for `code` (a name such as "E_INVALID"); return NULL. */
PyObject* native_raise_code(module_state* st, const char* code, const char* message, int sys_errno);
PyObject* native_raise_core(module_state* st, const shmstate_error* err);
PyObject* native_raise_invalid(module_state* st, const char* message);
/* A non-negative int that fits 64 bits, else TypeError or E_INVALID naming `what`. */
int native_arg_u64(module_state* st, PyObject* obj, const char* what, uint64_t* out);
/* A segment name as UTF-8 (owned by `obj`), refusing embedded NULs. */
const char* native_arg_name(module_state* st, PyObject* obj);

/* ---- _segment.c: the Segment object ---- */

/* One in-flight wait. `stop` is handed to the core, which re-checks it after every
 * futex wake-up; it is written only with the GIL held (by wake() and close()). */
typedef struct waiter {
  volatile int stop;
  struct waiter* next;
} waiter;

typedef struct {
  PyObject ob_base;
  shmstate_segment* seg; /* NULL once really closed */
  PyObject* name;
  int closed;                      /* close() was called: every new call raises E_CLOSED */
  Py_ssize_t busy;                 /* calls in flight; the core segment outlives them all */
  waiter* waiters;                 /* waits in flight, for wake() and close() */
  uint64_t wake_epoch;             /* wake() calls so far, see segment_wait */
  PyThread_type_lock scratch_lock; /* guards `scratch` and `patches`; a loser mallocs its own */
  unsigned char* scratch;          /* a state's bytes: capacity bytes, made on first use */
  size_t last_read_len;
  shmstate_patch_buffer patches; /* the ring reads' buffer, sized from ring_info on first use */
  size_t last_patches_len;       /* bytes of patches the last ring read returned */
  int role; /* this handle's role in the attach table (shmstate_role); 0: not attached */
} SegmentObject;

/* Reads whose previous payload was at least this long copy with the GIL released;
 * below it, releasing and re-taking the GIL costs more than the copy. */
#define READ_RELEASE_GIL_BYTES (64u * 1024u)

extern PyType_Spec segment_spec;

module_state* segment_module_state(SegmentObject* self);
PyObject* segment_raise_closed(SegmentObject* self);
/* Every method brackets its use of self->seg with enter/leave (E_CLOSED after close). */
int segment_enter(SegmentObject* self);
void segment_leave(SegmentObject* self);
/* Makes every wait in flight on this object return (sets its stop flag, wakes it). */
void segment_stop_waiters(SegmentObject* self);

/* ---- _segment_io.c: reading, committing, waiting ---- */

PyObject* segment_read(SegmentObject* self, PyObject* unused);
PyObject* segment_commit(SegmentObject* self, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames);
PyObject* segment_wait(SegmentObject* self, PyObject* args, PyObject* kwargs);
PyObject* segment_wake(SegmentObject* self, PyObject* unused);

/* ---- _segment_ring.c: the patch ring ---- */

PyObject* segment_ring_info(SegmentObject* self, PyObject* unused);
PyObject* segment_patch_plan(SegmentObject* self, PyObject* args);
PyObject* segment_commit_patch(SegmentObject* self, PyObject* args);
PyObject* segment_read_delta(SegmentObject* self, PyObject* unused);
PyObject* segment_read_patches(SegmentObject* self, PyObject* arg);
/* Frees the ring reads' buffer (with the GIL, when no call is in flight). */
void segment_free_patches(SegmentObject* self);

/* ---- _segment_attach.c: the attach table ---- */

/* Moves this handle to `role` in the attach table when its use calls for it: a writer on
 * every commit, a subscriber on every wait or doorbell (never down from writer). Cheap
 * after the first time: one comparison. GIL held. */
void segment_take_role(SegmentObject* self, int role);
PyObject* segment_attached(SegmentObject* self, PyObject* unused);
PyObject* segment_health(SegmentObject* self, PyObject* unused);
PyObject* segment_doorbells(SegmentObject* self, PyObject* unused);

/* ---- _doorbell.c: the Doorbell object ---- */

/* Adds the Doorbell type and its constants to the module (from module_exec). */
int doorbell_add_type(PyObject* module);

#endif /* SHMSTATE_PY_NATIVE_H */
