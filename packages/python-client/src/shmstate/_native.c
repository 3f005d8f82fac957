/*
 * shmstate._native: the CPython glue over the shmstate C core (packages/native/csrc).
 *
 * Thin by design: it converts arguments, releases the GIL around every call that may
 * block or copy much, turns core failures into the shmstate.errors classes, and keeps
 * one C segment alive while any call on it is in flight. Every protocol step lives in
 * the core; the policy (retries, watching) lives in the Python modules. The JSON encoder
 * is C as well, for speed, and so is the diff of two states; neither is glue: they live
 * in _codec/ and are registered here as encode() and diff() (shmstate.codec decodes, with
 * orjson or the standard library; shmstate.json_diff documents the diff).
 *
 * Limited API 3.10 (one abi3 build): a heap type from a spec, per-module state.
 * This file: the module and the error/argument helpers (code names and meanings come
 * from the core, shmstate_code_name and shmstate_code_meaning); the Segment type is in
 * _segment.c (lifecycle) and _segment_io.c (read, commit, wait).
 */
#include "_native.h"

#include <stdio.h>
#include <string.h>

/* ---- errors ---- */

/* Raises the shmstate.errors class for `code`. The factory is registered by
 * shmstate.errors at import; if this module is imported on its own, import it now. */
PyObject* native_raise_code(module_state* st, const char* code, const char* message,
                            int sys_errno) {
  if (st->error_factory == NULL) {
    PyObject* errors = PyImport_ImportModule("shmstate.errors");
    if (errors == NULL) return NULL;
    Py_DECREF(errors);
  }
  if (st->error_factory == NULL) {
    PyErr_Format(PyExc_RuntimeError, "%s (%s)", message, code);
    return NULL;
  }
  PyObject* exc = PyObject_CallFunction(
      st->error_factory, "sNi", code,
      PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace"), sys_errno);
  if (exc == NULL) return NULL;
  PyErr_SetObject((PyObject*)Py_TYPE(exc), exc);
  Py_DECREF(exc);
  return NULL;
}

PyObject* native_raise_core(module_state* st, const shmstate_error* err) {
  return native_raise_code(st, shmstate_code_name(err->code), err->message, err->sys_errno);
}

PyObject* native_raise_invalid(module_state* st, const char* message) {
  return native_raise_code(st, "E_INVALID", message, 0);
}

/* A non-negative int that fits 64 bits, or E_INVALID naming `what`. */
int native_arg_u64(module_state* st, PyObject* obj, const char* what, uint64_t* out) {
  if (!PyLong_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int", what);
    return -1;
  }
  unsigned long long value = PyLong_AsUnsignedLongLong(obj);
  if (value == (unsigned long long)-1 && PyErr_Occurred()) {
    PyErr_Clear();
    char message[128];
    snprintf(message, sizeof message, "%s must be between 0 and 2^64-1", what);
    native_raise_invalid(st, message);
    return -1;
  }
  *out = value;
  return 0;
}

/* A segment name as UTF-8, refusing embedded NULs (the core would see a prefix). */
const char* native_arg_name(module_state* st, PyObject* obj) {
  if (!PyUnicode_Check(obj)) {
    PyErr_SetString(PyExc_TypeError, "name must be a str");
    return NULL;
  }
  Py_ssize_t len = 0;
  const char* name = PyUnicode_AsUTF8AndSize(obj, &len);
  if (name == NULL) return NULL;
  if ((size_t)len != strlen(name)) {
    native_raise_code(st, "E_NAME", "segment name contains a NUL character", 0);
    return NULL;
  }
  return name;
}

/* ---- module functions and init ---- */

static PyObject* module_codes(PyObject* module, PyObject* unused) {
  (void)module, (void)unused;
  PyObject* list = PyList_New(0);
  /* errors.def numbers its rows in increasing order (tests/test_90_errors.py); a number
   * reserved for a code not in this build is a gap, named E_UNKNOWN, and skipped. */
  for (int code = SHMSTATE_OK + 1; list != NULL && code < SHMSTATE_CODE_COUNT; code++) {
    if (strcmp(shmstate_code_name(code), "E_UNKNOWN") == 0) continue;
    PyObject* name = PyUnicode_FromString(shmstate_code_name(code));
    if (name == NULL || PyList_Append(list, name) < 0) Py_CLEAR(list);
    Py_XDECREF(name);
  }
  return list;
}

static PyObject* module_code_meaning(PyObject* module, PyObject* name) {
  (void)module;
  const char* wanted = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, NULL) : NULL;
  if (wanted == NULL) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "code must be a str");
    return NULL;
  }
  for (int code = SHMSTATE_OK; code < SHMSTATE_CODE_COUNT; code++) {
    if (strcmp(shmstate_code_name(code), wanted) == 0) {
      return PyUnicode_FromString(shmstate_code_meaning(code));
    }
  }
  PyErr_Format(PyExc_ValueError, "unknown shmstate code %R", name);
  return NULL;
}

static PyObject* module_set_error_factory(PyObject* module, PyObject* factory) {
  if (!PyCallable_Check(factory)) {
    PyErr_SetString(PyExc_TypeError, "the error factory must be callable");
    return NULL;
  }
  module_state* st = PyModule_GetState(module);
  PyObject* old = st->error_factory;
  Py_INCREF(factory);
  st->error_factory = factory;
  Py_XDECREF(old);
  Py_RETURN_NONE;
}

/* doorbell_sockets(remove) -> {sockets, dead, dead_foreign, removed}: the doorbell path
 * sockets in /dev/shm, as `shmstate doctor` reports and (remove=True) cleans them. */
static PyObject* module_doorbell_sockets(PyObject* module, PyObject* remove) {
  int wanted = PyObject_IsTrue(remove);
  if (wanted < 0) return NULL;
  shmstate_doorbell_sweep sweep;
  shmstate_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = shmstate_doorbell_sockets_sweep(wanted, &sweep, &err);
  Py_END_ALLOW_THREADS if (rc != SHMSTATE_OK) {
    return native_raise_core(PyModule_GetState(module), &err);
  }
  return Py_BuildValue("{sIsIsIsI}", "sockets", sweep.sockets, "dead", sweep.dead, "dead_foreign",
                       sweep.dead_foreign, "removed", sweep.removed);
}

/* check_trust(text): None if `text` is a trust value in the core's grammar (what
 * SHMSTATE_TRUST and the trust option take), else the core's E_INVALID. The CLI checks
 * its --trust (or the variable) once with it, before any command runs. */
static PyObject* module_check_trust(PyObject* module, PyObject* text) {
  module_state* st = PyModule_GetState(module);
  if (!PyUnicode_Check(text)) return native_raise_invalid(st, "trust must be a str");
  Py_ssize_t len = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &len);
  if (utf8 == NULL) return NULL;
  if ((size_t)len != strlen(utf8))
    return native_raise_invalid(st, "trust contains a NUL character");
  shmstate_trust trust;
  shmstate_error err = {0};
  if (shmstate_trust_parse(utf8, &trust, &err) != SHMSTATE_OK) return native_raise_core(st, &err);
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"codes", module_codes, METH_NOARGS, "codes() -> list of the error code names"},
    {"code_meaning", module_code_meaning, METH_O, "code_meaning(name) -> str"},
    {"encode", codec_encode, METH_O,
     "encode(value) -> bytes: the state's UTF-8 JSON (what json.dumps writes, compact, "
     "ensure_ascii=False); ShmStateEncodeError naming the path of a value outside the "
     "JSON dialect"},
    {"diff", (PyCFunction)(void (*)(void))codec_diff, METH_FASTCALL,
     "diff(old, new, /) -> list of dicts: the RFC 6902 ops that take the state old to the "
     "state new (shmstate.json_diff.diff)"},
    {"doorbell_sockets", module_doorbell_sockets, METH_O,
     "doorbell_sockets(remove) -> {sockets, dead, dead_foreign, removed}: doorbell socket "
     "files in /dev/shm; remove=True removes the dead ones this uid owns"},
    {"check_trust", module_check_trust, METH_O,
     "check_trust(text) -> None: E_INVALID unless text is a trust value in the core's "
     "grammar (\"group\", \"uid:N\", comma-separated; \"\": none)"},
    {"_set_error_factory", module_set_error_factory, METH_O,
     "_set_error_factory(fn): fn(code, message, sys_errno) returns the exception to raise"},
    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject* module) {
  module_state* st = PyModule_GetState(module);
  st->segment_type = PyType_FromModuleAndSpec(module, &segment_spec, NULL);
  if (st->segment_type == NULL) return -1;
  if (PyModule_AddType(module, (PyTypeObject*)st->segment_type) < 0) return -1;
  if (PyModule_AddIntConstant(module, "NAME_MAX", SHMSTATE_NAME_MAX) < 0) return -1;
  if (PyModule_AddIntConstant(module, "CAPACITY_MIN", SHMSTATE_CAPACITY_MIN) < 0) return -1;
  PyObject* capacity_max = PyLong_FromUnsignedLongLong(SHMSTATE_CAPACITY_MAX);
  int rc = capacity_max ? PyModule_AddObjectRef(module, "CAPACITY_MAX", capacity_max) : -1;
  Py_XDECREF(capacity_max);
  if (rc < 0) return -1;
  if (PyModule_AddIntConstant(module, "DEFAULT_MODE", SHMSTATE_DEFAULT_MODE) < 0) return -1;
  if (PyModule_AddIntConstant(module, "DIALECT_MAX_DEPTH", DIALECT_MAX_DEPTH) < 0) return -1;
  PyObject* safe_max = PyLong_FromLongLong(DIALECT_MAX_SAFE_INTEGER);
  rc = safe_max ? PyModule_AddObjectRef(module, "DIALECT_MAX_SAFE_INTEGER", safe_max) : -1;
  Py_XDECREF(safe_max);
  if (rc < 0) return -1;
  if (doorbell_add_type(module) < 0) return -1;
  if (codec_diff_words_init(&st->diff_words) < 0) return -1;
  return PyModule_AddIntConstant(module, "DEFAULT_LOCK_TIMEOUT_MS",
                                 SHMSTATE_DEFAULT_LOCK_TIMEOUT_MS);
}

static int module_traverse(PyObject* module, visitproc visit, void* arg) {
  module_state* st = PyModule_GetState(module);
  Py_VISIT(st->segment_type);
  Py_VISIT(st->error_factory);
  return 0;
}

static int module_clear(PyObject* module) {
  module_state* st = PyModule_GetState(module);
  Py_CLEAR(st->segment_type);
  Py_CLEAR(st->error_factory);
  codec_diff_words_clear(&st->diff_words);
  return 0;
}

static void module_free(void* module) { module_clear((PyObject*)module); }

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "shmstate._native",
    .m_doc = "The shmstate C core bound to CPython (private: use the shmstate package).",
    .m_size = sizeof(module_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModuleDef_Init(&module_def); }
