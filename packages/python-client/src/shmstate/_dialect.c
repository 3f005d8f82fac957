/*
 * dialect_ok(value) -> bool: the fast answer to "is this state inside the shmstate JSON
 * dialect?" (DESIGN section 4; the rules are shmstate/codec.py's `_check`).
 *
 * The contract with codec.py: True only when the Python walk would accept the value;
 * False whenever the walk would refuse it OR this check is not sure. On False the codec
 * runs the Python walk, which words the error and its path (or, when this check was
 * merely unsure, accepts the value). So one set of messages exists, in Python, and this
 * file needs no path bookkeeping.
 *
 * It mirrors the walk step by step: the same depth counting (the top-level container
 * is depth 0, a container at depth >= DIALECT_MAX_DEPTH is refused, so a cycle ends
 * there too), the same isinstance-style tests (subclasses of str, float, dict, list and
 * tuple are walked like their bases), and for subclassed containers the same protocol
 * the walk uses: `items()` for dicts, iteration for lists and tuples. Where the walk
 * would run Python code whose answer this file cannot predict (an int subclass that
 * overrides comparisons, an object whose __class__ is not its type), it answers "not
 * sure". It walks Python objects, so it holds the GIL throughout.
 */
#include "_native.h"

#include <math.h>

enum { NOT_OK = 0, OK = 1, FAILED = -1 /* an exception is set */ };

static int check_value(PyObject* value, int depth);

static int int_in_range(PyObject* value) {
  int overflow = 0;
  long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (n == -1 && PyErr_Occurred()) return FAILED;
  return !overflow && n >= -DIALECT_MAX_SAFE_INTEGER && n <= DIALECT_MAX_SAFE_INTEGER;
}

/* The walk compares an int subclass with `-MAX <= value <= MAX`, which runs the
 * subclass's own comparison if it has one: only without one is the stored value the
 * answer (IntEnum and the like). */
static int int_subclass_in_range(PyObject* value) {
  void* own = PyType_GetSlot(Py_TYPE(value), Py_tp_richcompare);
  void* base = PyType_GetSlot(&PyLong_Type, Py_tp_richcompare);
  if (own != base) return NOT_OK; /* not sure: the walk decides */
  return int_in_range(value);
}

/* isinstance(), which the walk uses, also believes `__class__`: an instance of a
 * subclass whose `__class__` names another class may be judged otherwise by the walk
 * (a str claiming to be a dict is walked as a dict), so it is left to the walk. */
static int is_what_it_claims(PyObject* value) {
  PyObject* claimed = PyObject_GetAttrString(value, "__class__");
  if (claimed == NULL) {
    PyErr_Clear(); /* not sure: the walk looks again and meets the same failure */
    return 0;
  }
  int same = claimed == (PyObject*)Py_TYPE(value);
  Py_DECREF(claimed);
  return same;
}

/* Values the walk accepts without looking inside; -2 for containers and the rest.
 * The exact types come first and are told apart by pointer: under the limited API the
 * subclass tests (PyUnicode_Check, ...) are each a function call. */
static int check_scalar(PyObject* value) {
  PyTypeObject* type = Py_TYPE(value);
  if (type == &PyUnicode_Type || value == Py_None || type == &PyBool_Type) return OK;
  if (type == &PyFloat_Type) return isfinite(PyFloat_AsDouble(value)) ? OK : NOT_OK;
  if (type == &PyLong_Type) return int_in_range(value);
  if (type == &PyDict_Type || type == &PyList_Type || type == &PyTuple_Type) return -2;
  /* Subclasses (IntEnum, a str subclass, ...) and everything else from here on. */
  if (!PyUnicode_Check(value) && !PyFloat_Check(value) && !PyLong_Check(value)) return -2;
  if (!is_what_it_claims(value)) return NOT_OK;
  if (PyUnicode_Check(value)) return OK;
  if (PyFloat_Check(value)) return isfinite(PyFloat_AsDouble(value)) ? OK : NOT_OK;
  if (PyLong_Check(value)) return int_subclass_in_range(value);
  return -2;
}

/* An item inside a container. The strong reference keeps it alive if Python code run
 * further down (a subclass's items() or __iter__) changes the container. */
static int check_item(PyObject* item, int depth) {
  int verdict = check_scalar(item);
  if (verdict != -2) return verdict;
  Py_INCREF(item);
  verdict = check_value(item, depth);
  Py_DECREF(item);
  return verdict;
}

static int check_key(PyObject* key) {
  return Py_TYPE(key) == &PyUnicode_Type || PyUnicode_Check(key) ? OK : NOT_OK;
}

static int check_exact_dict(PyObject* dict, int depth) {
  Py_ssize_t pos = 0;
  PyObject *key, *item;
  while (PyDict_Next(dict, &pos, &key, &item)) {
    if (check_key(key) != OK) return NOT_OK;
    int verdict = check_item(item, depth + 1);
    if (verdict != OK) return verdict;
  }
  return OK;
}

static int check_exact_list(PyObject* list, int depth) {
  /* PyList_Size every round: Python code run by an item's check may shrink the list. */
  for (Py_ssize_t i = 0; i < PyList_Size(list); i++) {
    int verdict = check_item(PyList_GetItem(list, i), depth + 1);
    if (verdict != OK) return verdict;
  }
  return OK;
}

static int check_exact_tuple(PyObject* tuple, int depth) {
  Py_ssize_t size = PyTuple_Size(tuple);
  for (Py_ssize_t i = 0; i < size; i++) {
    int verdict = check_item(PyTuple_GetItem(tuple, i), depth + 1);
    if (verdict != OK) return verdict;
  }
  return OK;
}

/* One (key, item) pair from a dict subclass's items(): the walk unpacks any pair;
 * anything but a plain 2-tuple is left to it. */
static int check_pair(PyObject* pair, int depth) {
  if (!PyTuple_CheckExact(pair) || PyTuple_Size(pair) != 2) return NOT_OK;
  if (check_key(PyTuple_GetItem(pair, 0)) != OK) return NOT_OK;
  return check_item(PyTuple_GetItem(pair, 1), depth + 1);
}

/* Subclassed containers, through the protocol the walk uses: dict.items(), iter(seq). */
static int check_subclass(PyObject* container, int depth, int is_dict) {
  PyObject* iterable = is_dict ? PyObject_CallMethod(container, "items", NULL) : container;
  if (iterable == NULL) return FAILED;
  PyObject* iterator = PyObject_GetIter(iterable);
  if (is_dict) Py_DECREF(iterable);
  if (iterator == NULL) return FAILED;
  int verdict = OK;
  PyObject* next;
  while (verdict == OK && (next = PyIter_Next(iterator)) != NULL) {
    verdict = is_dict ? check_pair(next, depth) : check_item(next, depth + 1);
    Py_DECREF(next);
  }
  Py_DECREF(iterator);
  if (verdict == OK && PyErr_Occurred()) return FAILED; /* the iteration itself failed */
  return verdict;
}

static int check_value(PyObject* value, int depth) {
  int verdict = check_scalar(value);
  if (verdict != -2) return verdict;
  PyTypeObject* type = Py_TYPE(value);
  int exact = type == &PyDict_Type || type == &PyList_Type || type == &PyTuple_Type;
  int is_dict = type == &PyDict_Type || (!exact && PyDict_Check(value));
  if (!exact && !is_dict && !PyList_Check(value) && !PyTuple_Check(value)) {
    return NOT_OK; /* a set, bytes, ...: refused, or an impostor the walk may accept */
  }
  if (!exact && !is_what_it_claims(value)) return NOT_OK;
  if (depth >= DIALECT_MAX_DEPTH) return NOT_OK;
  if (type == &PyDict_Type) return check_exact_dict(value, depth);
  if (type == &PyList_Type) return check_exact_list(value, depth);
  if (type == &PyTuple_Type) return check_exact_tuple(value, depth);
  return check_subclass(value, depth, is_dict);
}

PyObject* dialect_ok(PyObject* module, PyObject* value) {
  (void)module;
  int verdict = check_value(value, 0);
  if (verdict == FAILED) return NULL;
  return PyBool_FromLong(verdict == OK);
}
