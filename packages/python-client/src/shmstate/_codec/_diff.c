/*
 * diff(old, new) -> list: the RFC 6902 ops that take state `old` to state `new`;
 * shmstate.json_diff.diff is this function (its documentation describes the ops), and
 * json_diff._diff_python, the same algorithm in Python, is the reference the tests hold
 * it to: the same ops in the same order, with the same paths and the objects of `new`
 * themselves as values.
 *
 * The walk:
 *  - identical objects (`is`) are skipped without a look inside;
 *  - objects (a dict or dict subclass on both sides): a "remove" for each key only in
 *    `old`, in `old`'s order; the ops of each key in both whose values are not
 *    identical, in `new`'s order; an "add" for each key only in `new`, in `new`'s order;
 *  - arrays (a list or tuple, or a subclass, on both sides): the common prefix and suffix
 *    are skipped (identical or JSON-equal items); the items between are paired by
 *    position, the surplus of `old` removed from the last index down, the surplus of
 *    `new` added in order;
 *  - anything else: a "replace" unless the two are JSON-equal (json_equal below).
 *
 * Containers are read through their storage (PyDict_Next, PyDict_GetItemWithError,
 * PyList_GetItem), not through methods a subclass could override (FrozenDict and
 * FrozenList override only mutators), except that a dict subclass that iterates in its
 * own order (OrderedDict after move_to_end) is walked in the order of its items(). A key
 * that is not a str raises TypeError where the path through it would be written
 * (json_diff._diff_python fails there too, with AttributeError from escape_token).
 *
 * Paths: each level of the walk holds its step (a key or an index); the pointer text of
 * a level ("/a~1b/3") is made the first time an op below it needs it and kept while the
 * walk is on that level. So a walk that finds nothing to change makes no string.
 *
 * Safety: the GIL is held throughout and no call blocks. The walk runs Python code only
 * through the comparisons (__eq__ of values outside the dialect, a key's __hash__ and
 * __eq__), a subclass's items(), and the garbage collector; any of them may change the
 * containers being walked. So every key and item the walk uses is a strong reference
 * taken as it is read, a dict that changes size under the walk raises RuntimeError (as
 * Python's iteration does), and an index past a shrunken list raises IndexError.
 * Recursion goes through Py_EnterRecursiveCall (RecursionError, as in Python; a cycle
 * ends there too).
 */
#include <stddef.h>
#include <stdio.h>

#include "../_native.h"
#include "_codec.h"

/* ---- the path ---- */

typedef struct {
  PyObject* key;    /* a str key (a strong reference), or NULL for an array index */
  Py_ssize_t index; /* when key is NULL */
  PyObject* path;   /* the pointer of this level, once an op needed it; else NULL */
} step;

typedef struct {
  const diff_words* words;
  PyObject* ops; /* the result */
  step* steps;   /* steps[0 .. depth-1]: the path from the root to the current value */
  Py_ssize_t depth;
  Py_ssize_t capacity;
} differ;

static int push(differ* df, PyObject* key, Py_ssize_t index) {
  if (df->depth == df->capacity) {
    Py_ssize_t wanted = df->capacity == 0 ? 16 : df->capacity * 2;
    step* grown = PyMem_Realloc(df->steps, (size_t)wanted * sizeof(step));
    if (grown == NULL) {
      PyErr_NoMemory();
      return -1;
    }
    df->steps = grown;
    df->capacity = wanted;
  }
  step* s = &df->steps[df->depth++];
  s->key = Py_XNewRef(key);
  s->index = index;
  s->path = NULL;
  return 0;
}

static void pop(differ* df) {
  step* s = &df->steps[--df->depth];
  Py_XDECREF(s->key);
  Py_XDECREF(s->path);
}

/* A key as a reference token (RFC 6901): "~" written "~0", then "/" written "~1". */
static PyObject* escape_key(const diff_words* words, PyObject* key) {
  Py_ssize_t length = PyUnicode_GetLength(key);
  if (length < 0) return NULL;
  Py_ssize_t tilde = PyUnicode_FindChar(key, '~', 0, length, 1);
  Py_ssize_t slash = tilde < -1 ? tilde : PyUnicode_FindChar(key, '/', 0, length, 1);
  if (slash < -1) return NULL;
  PyObject* escaped = Py_NewRef(key);
  if (tilde >= 0) {
    PyObject* replaced = PyUnicode_Replace(escaped, words->tilde, words->tilde0, -1);
    Py_DECREF(escaped);
    escaped = replaced;
  }
  if (escaped != NULL && slash >= 0) {
    PyObject* replaced = PyUnicode_Replace(escaped, words->slash, words->tilde1, -1);
    Py_DECREF(escaped);
    escaped = replaced;
  }
  return escaped;
}

/* `above` + "/" + `token`, for a token that is text (a new reference). */
static PyObject* join_path(const diff_words* words, PyObject* above, PyObject* token) {
  PyObject* with_slash = PyUnicode_Concat(above, words->slash);
  if (with_slash == NULL) return NULL;
  PyObject* path = PyUnicode_Concat(with_slash, token);
  Py_DECREF(with_slash);
  return path;
}

/* `above` + "/" + the decimal digits of `index` (a new reference). */
static PyObject* join_index(PyObject* above, Py_ssize_t index) {
  char digits[32];
  int length = snprintf(digits, sizeof digits, "/%zd", index);
  PyObject* token = PyUnicode_FromStringAndSize(digits, length);
  if (token == NULL) return NULL;
  PyObject* path = PyUnicode_Concat(above, token);
  Py_DECREF(token);
  return path;
}

/* The pointer of the current value (borrowed: the root's "" or the deepest step's),
 * made from the nearest level above that has one. */
static PyObject* current_path(differ* df) {
  Py_ssize_t known = df->depth;
  while (known > 0 && df->steps[known - 1].path == NULL) known--;
  for (; known < df->depth; known++) {
    PyObject* above = known == 0 ? df->words->empty : df->steps[known - 1].path;
    step* s = &df->steps[known];
    if (s->key == NULL) {
      s->path = join_index(above, s->index);
    } else {
      PyObject* token = escape_key(df->words, s->key);
      if (token == NULL) return NULL;
      s->path = join_path(df->words, above, token);
      Py_DECREF(token);
    }
    if (s->path == NULL) return NULL;
  }
  return df->depth == 0 ? df->words->empty : df->steps[df->depth - 1].path;
}

/* Appends {"op": name, "path": <current path>, "value": value} ("value" only if given). */
static int emit(differ* df, PyObject* name, PyObject* value) {
  PyObject* path = current_path(df);
  if (path == NULL) return -1;
  PyObject* op = PyDict_New();
  if (op == NULL) return -1;
  int rc = PyDict_SetItem(op, df->words->op, name);
  if (rc == 0) rc = PyDict_SetItem(op, df->words->path, path);
  if (rc == 0 && value != NULL) rc = PyDict_SetItem(op, df->words->value, value);
  if (rc == 0) rc = PyList_Append(df->ops, op);
  Py_DECREF(op);
  return rc;
}

/* The name of a value's type, for a message (a new reference). */
static PyObject* type_name(PyObject* value) {
  return PyObject_GetAttrString((PyObject*)Py_TYPE(value), "__name__");
}

/* A path through `key` can be written: TypeError unless it is a str. */
static int require_str_key(PyObject* key) {
  if (PyUnicode_Check(key)) return 0;
  PyObject* name = type_name(key);
  if (name != NULL) {
    PyErr_Format(PyExc_TypeError, "diff: object keys are str, not %U (key %R)", name, key);
    Py_DECREF(name);
  }
  return -1;
}

static int emit_member(differ* df, PyObject* key, PyObject* name, PyObject* value) {
  if (require_str_key(key) < 0 || push(df, key, 0) < 0) return -1;
  int rc = emit(df, name, value);
  pop(df);
  return rc;
}

static int emit_index(differ* df, Py_ssize_t index, PyObject* name, PyObject* value) {
  if (push(df, NULL, index) < 0) return -1;
  int rc = emit(df, name, value);
  pop(df);
  return rc;
}

/* ---- reading containers ---- */

/* The members of a dict, each as strong references, in its iteration order. */
typedef struct {
  PyObject* dict;
  PyObject* items; /* a subclass with its own order: its items(), as a list; else NULL */
  Py_ssize_t pos;
  Py_ssize_t size; /* the size when the walk began (a change raises) */
} members;

static int members_open(members* m, PyObject* dict) {
  m->dict = dict;
  m->items = NULL;
  m->pos = 0;
  m->size = PyDict_Size(dict);
  if (!PyDict_CheckExact(dict) &&
      PyType_GetSlot(Py_TYPE(dict), Py_tp_iter) != PyType_GetSlot(&PyDict_Type, Py_tp_iter)) {
    m->items = PyMapping_Items(dict);
    if (m->items == NULL) return -1;
  }
  return 0;
}

/* 1 and two new references; 0 at the end; -1 with an exception. */
static int members_next(members* m, PyObject** key, PyObject** value) {
  if (m->items != NULL) {
    if (m->pos >= PyList_Size(m->items)) return 0;
    PyObject* pair = PyList_GetItem(m->items, m->pos++);
    if (pair == NULL) return -1;
    if (!PyTuple_Check(pair) || PyTuple_Size(pair) != 2) {
      PyObject* name = type_name(m->dict);
      if (name != NULL) {
        PyErr_Format(PyExc_TypeError, "diff: items() of a %U yields something other than pairs",
                     name);
        Py_DECREF(name);
      }
      return -1;
    }
    *key = Py_NewRef(PyTuple_GetItem(pair, 0));
    *value = Py_NewRef(PyTuple_GetItem(pair, 1));
    return 1;
  }
  if (PyDict_Size(m->dict) != m->size) {
    PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
    return -1;
  }
  PyObject *k, *v;
  if (!PyDict_Next(m->dict, &m->pos, &k, &v)) return 0;
  *key = Py_NewRef(k);
  *value = Py_NewRef(v);
  return 1;
}

static void members_close(members* m) { Py_CLEAR(m->items); }

/* The item of `old`'s key in `other`: a new reference; NULL without an exception if the
 * key is missing. */
static PyObject* member(PyObject* other, PyObject* key) {
  return Py_XNewRef(PyDict_GetItemWithError(other, key));
}

static int is_array(PyObject* value) { return PyList_Check(value) || PyTuple_Check(value); }

static Py_ssize_t array_length(PyObject* array) {
  return PyList_Check(array) ? PyList_Size(array) : PyTuple_Size(array);
}

/* A borrowed reference; IndexError if a list shrank under the walk. */
static PyObject* borrowed_item(PyObject* array, Py_ssize_t i) {
  return PyList_Check(array) ? PyList_GetItem(array, i) : PyTuple_GetItem(array, i);
}

/* A new reference; IndexError if a list shrank under the walk. */
static PyObject* array_item(PyObject* array, Py_ssize_t i) {
  return Py_XNewRef(borrowed_item(array, i));
}

/* ---- JSON equality ---- */

static int json_equal(PyObject* a, PyObject* b);

static int objects_equal(PyObject* a, PyObject* b) {
  if (PyDict_Size(a) != PyDict_Size(b)) return 0;
  members m;
  if (members_open(&m, a) < 0) return -1;
  PyObject *key, *item;
  int rc = 0, equal = 1;
  while (equal == 1 && (rc = members_next(&m, &key, &item)) == 1) {
    PyObject* other = member(b, key);
    if (other == NULL) {
      equal = PyErr_Occurred() ? -1 : 0;
    } else {
      equal = json_equal(item, other);
      Py_DECREF(other);
    }
    Py_DECREF(key);
    Py_DECREF(item);
  }
  members_close(&m);
  return equal == 1 && rc < 0 ? -1 : equal;
}

/* 1 if a[i] and b[j] are identical or JSON-equal, 0 if not, -1 with an exception. */
static int items_equal(PyObject* a, Py_ssize_t i, PyObject* b, Py_ssize_t j) {
  PyObject* x = borrowed_item(a, i);
  PyObject* y = x == NULL ? NULL : borrowed_item(b, j);
  if (y == NULL) return -1;
  if (x == y) return 1; /* no Python code ran since they were read */
  Py_INCREF(x);
  Py_INCREF(y);
  int equal = json_equal(x, y);
  Py_DECREF(x);
  Py_DECREF(y);
  return equal;
}

static int arrays_equal(PyObject* a, PyObject* b) {
  Py_ssize_t length = array_length(a);
  if (length != array_length(b)) return 0;
  int equal = 1;
  for (Py_ssize_t i = 0; equal == 1 && i < length; i++) equal = items_equal(a, i, b, i);
  return equal;
}

/* json_patch.json_equal, step for step: 1 if JSON-equal, 0 if not, -1 with an exception.
 * Booleans are not numbers; an int and a float are compared by value (1 == 1.0, 0.0 ==
 * -0.0, NaN equals only itself, the same object); member order does not matter; a list
 * and a tuple are both arrays; other objects compare with ==, None with nothing else. */
static int json_equal(PyObject* a, PyObject* b) {
  if (a == b) return 1;
  PyTypeObject* type = Py_TYPE(a);
  if (type == &PyUnicode_Type && Py_TYPE(b) == &PyUnicode_Type) {
    return PyObject_RichCompareBool(a, b, Py_EQ);
  }
  if (type == &PyFloat_Type && Py_TYPE(b) == &PyFloat_Type) {
    return PyFloat_AsDouble(a) == PyFloat_AsDouble(b);
  }
  if (PyDict_Check(a) || is_array(a)) {
    int same_kind = PyDict_Check(a) ? PyDict_Check(b) : is_array(b);
    if (!same_kind) return 0;
    if (Py_EnterRecursiveCall(" in a JSON comparison")) return -1;
    int rc = PyDict_Check(a) ? objects_equal(a, b) : arrays_equal(a, b);
    Py_LeaveRecursiveCall();
    return rc;
  }
  if (PyBool_Check(a) || PyBool_Check(b)) return 0; /* two bools: True and False */
  if (PyLong_Check(a) || PyFloat_Check(a)) {
    return PyLong_Check(b) || PyFloat_Check(b) ? PyObject_RichCompareBool(a, b, Py_EQ) : 0;
  }
  if (PyUnicode_Check(a)) return PyUnicode_Check(b) ? PyObject_RichCompareBool(a, b, Py_EQ) : 0;
  if (a == Py_None || b == Py_None) return 0;
  return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* ---- the diff ---- */

static int diff_value(differ* df, PyObject* old, PyObject* new_);

static int diff_objects(differ* df, PyObject* old, PyObject* new_) {
  members m;
  PyObject *key, *item;
  int rc;
  if (members_open(&m, old) < 0) return -1;
  while ((rc = members_next(&m, &key, &item)) == 1) {
    rc = PyDict_Contains(new_, key);
    if (rc == 0) rc = emit_member(df, key, df->words->remove, NULL);
    Py_DECREF(key);
    Py_DECREF(item);
    if (rc < 0) break;
  }
  members_close(&m);
  if (rc < 0) return -1;

  PyObject* added = NULL; /* key, item, key, item, ...: the adds come last */
  if (members_open(&m, new_) < 0) return -1;
  while ((rc = members_next(&m, &key, &item)) == 1) {
    PyObject* before = member(old, key);
    if (before == NULL) {
      rc = PyErr_Occurred() ? -1 : 0;
      if (rc == 0 && added == NULL && (added = PyList_New(0)) == NULL) rc = -1;
      if (rc == 0 && (PyList_Append(added, key) < 0 || PyList_Append(added, item) < 0)) rc = -1;
    } else {
      rc = 0;
      if (before != item) {
        rc = require_str_key(key);
        if (rc == 0) rc = push(df, key, 0);
        if (rc == 0) {
          rc = diff_value(df, before, item);
          pop(df);
        }
      }
      Py_DECREF(before);
    }
    Py_DECREF(key);
    Py_DECREF(item);
    if (rc < 0) break;
  }
  members_close(&m);
  Py_ssize_t count = rc < 0 || added == NULL ? 0 : PyList_Size(added);
  for (Py_ssize_t i = 0; rc == 0 && i < count; i += 2) {
    rc = emit_member(df, PyList_GetItem(added, i), df->words->add, PyList_GetItem(added, i + 1));
  }
  Py_XDECREF(added);
  return rc < 0 ? -1 : 0;
}

static int diff_arrays(differ* df, PyObject* old, PyObject* new_) {
  Py_ssize_t n_old = array_length(old), n_new = array_length(new_);
  Py_ssize_t shorter = n_old < n_new ? n_old : n_new;
  Py_ssize_t start = 0, end = 0; /* the common prefix; the common suffix after it */
  int equal = 1;
  while (start < shorter && (equal = items_equal(old, start, new_, start)) == 1) start++;
  if (equal < 0) return -1;
  while (end < shorter - start &&
         (equal = items_equal(old, n_old - 1 - end, new_, n_new - 1 - end)) == 1) {
    end++;
  }
  if (equal < 0) return -1;
  Py_ssize_t middle_old = n_old - start - end, middle_new = n_new - start - end;
  Py_ssize_t paired = middle_old < middle_new ? middle_old : middle_new;
  for (Py_ssize_t i = start; i < start + paired; i++) {
    PyObject* a = array_item(old, i);
    PyObject* b = a == NULL ? NULL : array_item(new_, i);
    int rc = b == NULL ? -1 : push(df, NULL, i);
    if (rc == 0) {
      rc = diff_value(df, a, b);
      pop(df);
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    if (rc < 0) return -1;
  }
  for (Py_ssize_t i = start + middle_old - 1; i > start + middle_new - 1; i--) {
    if (emit_index(df, i, df->words->remove, NULL) < 0) return -1;
  }
  for (Py_ssize_t i = start + middle_old; i < start + middle_new; i++) {
    PyObject* b = array_item(new_, i);
    int rc = b == NULL ? -1 : emit_index(df, i, df->words->add, b);
    Py_XDECREF(b);
    if (rc < 0) return -1;
  }
  return 0;
}

/* The ops for the value at the current path; the caller holds both values. */
static int diff_value(differ* df, PyObject* old, PyObject* new_) {
  if (old == new_) return 0;
  int objects = PyDict_Check(old) && PyDict_Check(new_);
  if (objects || (is_array(old) && is_array(new_))) {
    if (Py_EnterRecursiveCall(" in a JSON diff")) return -1;
    int rc = objects ? diff_objects(df, old, new_) : diff_arrays(df, old, new_);
    Py_LeaveRecursiveCall();
    return rc;
  }
  int equal = json_equal(old, new_);
  if (equal != 0) return equal < 0 ? -1 : 0;
  return emit(df, df->words->replace, new_);
}

PyObject* codec_diff(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_Format(PyExc_TypeError, "diff() takes exactly 2 arguments (%zd given)", nargs);
    return NULL;
  }
  module_state* st = PyModule_GetState(module);
  differ df = {.words = &st->diff_words, .ops = PyList_New(0)};
  if (df.ops == NULL) return NULL;
  int rc = diff_value(&df, args[0], args[1]);
  while (df.depth > 0) pop(&df); /* after an exception, the levels it left */
  PyMem_Free(df.steps);
  if (rc < 0) Py_CLEAR(df.ops);
  return df.ops;
}

/* ---- the strings every op is made of ---- */

static const struct {
  const char* text;
  size_t offset;
} WORDS[] = {
    {"op", offsetof(diff_words, op)},         {"path", offsetof(diff_words, path)},
    {"value", offsetof(diff_words, value)},   {"add", offsetof(diff_words, add)},
    {"remove", offsetof(diff_words, remove)}, {"replace", offsetof(diff_words, replace)},
    {"", offsetof(diff_words, empty)},        {"/", offsetof(diff_words, slash)},
    {"~", offsetof(diff_words, tilde)},       {"~0", offsetof(diff_words, tilde0)},
    {"~1", offsetof(diff_words, tilde1)},
};

_Static_assert(sizeof WORDS / sizeof WORDS[0] == sizeof(diff_words) / sizeof(PyObject*),
               "every member of diff_words has its text");

static PyObject** word_slot(diff_words* words, size_t i) {
  return (PyObject**)(void*)((char*)words + WORDS[i].offset);
}

int codec_diff_words_init(diff_words* words) {
  for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
    PyObject** slot = word_slot(words, i);
    *slot = PyUnicode_InternFromString(WORDS[i].text);
    if (*slot == NULL) return -1;
  }
  return 0;
}

void codec_diff_words_clear(diff_words* words) {
  for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
    PyObject** slot = word_slot(words, i);
    Py_CLEAR(*slot);
  }
}
