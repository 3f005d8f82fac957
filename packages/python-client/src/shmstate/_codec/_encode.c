/*
 * encode_plain(value) -> bytes | None: a state's UTF-8 JSON in one pass, in C.
 *
 * The stdlib path of shmstate/codec.py (the dialect check, then json's C encoder with
 * ensure_ascii=False and compact separators, then str.encode("utf-8")) builds a list of
 * str chunks, joins them and encodes the result: at 1 KiB that is ~20 us here, most of
 * a Python publish. This file writes the same bytes straight into one growing buffer.
 *
 * The contract with codec.py: bytes only when the value is made of nothing but the exact
 * built-in types the dialect allows (dict with str keys, list, tuple, str, int within
 * +-(2^53-1), finite float, bool, None) nested at most DIALECT_MAX_DEPTH containers deep,
 * and then byte for byte what the stdlib path writes. None for anything else: a value
 * outside the dialect, any subclass (IntEnum, OrderedDict, a str subclass, ...) and a str
 * with a lone surrogate. On None the codec takes the stdlib path, which refuses with the
 * path-naming message or encodes the subclass as before, so one set of messages exists.
 *
 * No Python code runs while a container is being walked: exact built-in types have no
 * user hooks, float formatting is the interpreter's own repr, and the GIL is held
 * throughout, so the borrowed items stay valid. The one exception is a lone surrogate:
 * the failed UTF-8 conversion allocates an exception, which may run the garbage collector
 * and finalizers; the walk then returns at once (DECLINED) without touching any borrowed
 * item again. Recursion is bounded by the depth cap, which also ends any cycle.
 */
#include "_native.h"

#include <math.h>
#include <string.h>

typedef struct {
  char* data;
  size_t length;
  size_t capacity;
  char inline_space[2048]; /* most states fit: no heap allocation for them */
} out_buffer;

enum { WRITTEN = 0, DECLINED = 1, NO_MEMORY = -1 };

static int reserve(out_buffer* out, size_t more) {
  if (out->capacity - out->length >= more) return WRITTEN;
  if (more > PY_SSIZE_T_MAX - out->length) return NO_MEMORY; /* no state is that large */
  size_t wanted = out->capacity * 2;
  while (wanted - out->length < more) wanted *= 2;
  char* grown;
  if (out->data == out->inline_space) {
    grown = PyMem_Malloc(wanted);
    if (grown != NULL) memcpy(grown, out->data, out->length);
  } else {
    grown = PyMem_Realloc(out->data, wanted);
  }
  if (grown == NULL) return NO_MEMORY;
  out->data = grown;
  out->capacity = wanted;
  return WRITTEN;
}

static int put(out_buffer* out, const char* bytes, size_t count) {
  if (reserve(out, count) != WRITTEN) return NO_MEMORY;
  memcpy(out->data + out->length, bytes, count);
  out->length += count;
  return WRITTEN;
}

static int put_char(out_buffer* out, char c) {
  if (out->length == out->capacity && reserve(out, 1) != WRITTEN) return NO_MEMORY;
  out->data[out->length++] = c;
  return WRITTEN;
}

/* json's encode_basestring (ensure_ascii=False): '"', '\\' and the C0 controls are
 * escaped, the short forms where JSON has them, \u00xx (lowercase hex) otherwise;
 * every other character, DEL and U+2028 included, is written as its UTF-8 bytes. */
static const char SHORT_ESCAPE[0x20] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
};

static int put_string(out_buffer* out, PyObject* text) {
  Py_ssize_t size;
  /* Compact ASCII strings hand out their own buffer; others get a UTF-8 copy cached on
   * the string object for its lifetime (as str.encode's fast paths and many C APIs do),
   * memory the stdlib path does not keep. A lone surrogate has no UTF-8 form: the stdlib
   * path words that error. */
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &size);
  if (utf8 == NULL) {
    PyErr_Clear();
    return DECLINED;
  }
  /* Worst case every byte becomes \u00xx: reserve once, then write without checks. */
  if (reserve(out, (size_t)size * 6 + 2) != WRITTEN) return NO_MEMORY;
  char* at = out->data + out->length;
  *at++ = '"';
  for (Py_ssize_t i = 0; i < size; i++) {
    unsigned char c = (unsigned char)utf8[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      *at++ = (char)c;
    } else if (c == '"' || c == '\\') {
      *at++ = '\\';
      *at++ = (char)c;
    } else if (SHORT_ESCAPE[c] != 0) {
      *at++ = '\\';
      *at++ = SHORT_ESCAPE[c];
    } else {
      static const char hex[] = "0123456789abcdef";
      memcpy(at, "\\u00", 4);
      at[4] = hex[c >> 4];
      at[5] = hex[c & 0xf];
      at += 6;
    }
  }
  *at++ = '"';
  out->length = (size_t)(at - out->data);
  return WRITTEN;
}

static int put_int(out_buffer* out, PyObject* value) {
  int overflow = 0;
  long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (n == -1 && PyErr_Occurred()) return NO_MEMORY; /* cannot happen for an exact int */
  if (overflow || n < -DIALECT_MAX_SAFE_INTEGER || n > DIALECT_MAX_SAFE_INTEGER) {
    return DECLINED; /* beyond the safe range: the stdlib path refuses it */
  }
  char digits[24];
  char* end = digits + sizeof digits;
  char* at = end;
  unsigned long long magnitude = n < 0 ? (unsigned long long)(-n) : (unsigned long long)n;
  do {
    *--at = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (n < 0) *--at = '-';
  return put(out, at, (size_t)(end - at));
}

static int put_float(out_buffer* out, PyObject* value) {
  double x = PyFloat_AsDouble(value);
  if (!isfinite(x)) return DECLINED; /* NaN, +-Infinity: refused by the stdlib path */
  /* float.__repr__ exactly, which is what json writes: the shortest text that reads
   * back as the same double, with ".0" on integral values ("1e+16" stays as it is).
   * Short decimals (most readings) take the fast path, every other double the
   * interpreter's own algorithm. */
  char short_text[SHORT_FLOAT_MAX];
  int short_length = short_float_repr(x, short_text);
  if (short_length > 0) return put(out, short_text, (size_t)short_length);
  char* text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
  if (text == NULL) return NO_MEMORY;
  int rc = put(out, text, strlen(text));
  PyMem_Free(text);
  return rc;
}

static int put_value(out_buffer* out, PyObject* value, int depth);

static int put_dict(out_buffer* out, PyObject* dict, int depth) {
  if (put_char(out, '{') != WRITTEN) return NO_MEMORY;
  Py_ssize_t pos = 0;
  PyObject *key, *item;
  int first = 1;
  while (PyDict_Next(dict, &pos, &key, &item)) {
    if (Py_TYPE(key) != &PyUnicode_Type) return DECLINED; /* non-str or str subclass */
    if (!first && put_char(out, ',') != WRITTEN) return NO_MEMORY;
    first = 0;
    int rc = put_string(out, key);
    if (rc == WRITTEN) rc = put_char(out, ':');
    if (rc == WRITTEN) rc = put_value(out, item, depth + 1);
    if (rc != WRITTEN) return rc;
  }
  return put_char(out, '}');
}

/* Lists and tuples; `items` are borrowed from the container, which nothing here can
 * change (no Python code runs). */
static int put_array(out_buffer* out, PyObject* sequence, int depth) {
  int is_list = Py_TYPE(sequence) == &PyList_Type;
  Py_ssize_t size = is_list ? PyList_Size(sequence) : PyTuple_Size(sequence);
  if (put_char(out, '[') != WRITTEN) return NO_MEMORY;
  for (Py_ssize_t i = 0; i < size; i++) {
    if (i > 0 && put_char(out, ',') != WRITTEN) return NO_MEMORY;
    PyObject* item = is_list ? PyList_GetItem(sequence, i) : PyTuple_GetItem(sequence, i);
    if (item == NULL) return NO_MEMORY; /* cannot happen: i < size */
    int rc = put_value(out, item, depth + 1);
    if (rc != WRITTEN) return rc;
  }
  return put_char(out, ']');
}

/* Exact types only, compared by pointer (under the limited API the subclass tests are
 * function calls, and subclasses are the stdlib path's job anyway). */
static int put_value(out_buffer* out, PyObject* value, int depth) {
  PyTypeObject* type = Py_TYPE(value);
  if (type == &PyUnicode_Type) return put_string(out, value);
  if (type == &PyFloat_Type) return put_float(out, value);
  if (type == &PyLong_Type) return put_int(out, value);
  if (value == Py_True) return put(out, "true", 4);
  if (value == Py_False) return put(out, "false", 5);
  if (value == Py_None) return put(out, "null", 4);
  int is_dict = type == &PyDict_Type;
  if (!is_dict && type != &PyList_Type && type != &PyTuple_Type) return DECLINED;
  /* The same depth rule as the dialect check: the top level is depth 0, and a container
   * at depth DIALECT_MAX_DEPTH is one level too deep. */
  if (depth >= DIALECT_MAX_DEPTH) return DECLINED;
  return is_dict ? put_dict(out, value, depth) : put_array(out, value, depth);
}

PyObject* encode_plain(PyObject* module, PyObject* value) {
  (void)module;
  out_buffer out;
  out.data = out.inline_space;
  out.length = 0;
  out.capacity = sizeof out.inline_space;
  int rc = put_value(&out, value, 0);
  PyObject* result = NULL;
  if (rc == WRITTEN) {
    result = PyBytes_FromStringAndSize(out.data, (Py_ssize_t)out.length);
  } else if (rc == DECLINED) {
    result = Py_NewRef(Py_None);
  } else if (!PyErr_Occurred()) {
    PyErr_NoMemory();
  }
  if (out.data != out.inline_space) PyMem_Free(out.data);
  return result;
}
