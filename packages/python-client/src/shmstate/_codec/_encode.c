/*
 * encode(value) -> bytes: a state's UTF-8 JSON, or ShmStateEncodeError (E_ENCODE) naming
 * the first value outside the shmstate JSON dialect and its path:
 *     state.a[3].b is NaN
 * The one place the Python package checks and writes the dialect (docs/python.md, "The
 * JSON dialect"); shmstate.encode is this function.
 *
 * What it writes: byte for byte what json.dumps(value, ensure_ascii=False,
 * allow_nan=False, separators=(",", ":")) writes, encoded to UTF-8. A value is judged
 * the way json's own C encoder judges it, by its type, in json's order (str, int, float,
 * list or tuple, dict), so subclasses are judged like their base:
 *  - a str subclass by its characters; an int or float subclass by its value, written
 *    as int.__repr__ and float.__repr__ write it (IntEnum members are numbers);
 *  - a list or tuple subclass (named tuples) by what iterating it yields;
 *  - a dict subclass (OrderedDict, defaultdict, Counter) by what items() yields, except
 *    that one whose own storage is empty is written "{}" without asking (as json does).
 *
 * What it refuses, in the walk's order (the first one found is reported, as in Node):
 * NaN and +-Infinity; ints beyond +-(2^53-1); dict keys that are not str; strings with a
 * lone surrogate (they have no UTF-8 form); containers nested deeper than
 * DIALECT_MAX_DEPTH levels, which also ends any reference cycle; and every other type
 * (sets, bytes, datetimes, objects, ...), with a hint where one helps.
 *
 * How: one pass into one growing buffer, which stops at the first refusal. Only then is
 * the state walked again, "carefully", to say why: the reason is recorded where the walk
 * stops and every container on the way back out adds its step (key or index) to the
 * path. So a state that encodes pays for no path bookkeeping. (A subclass whose items()
 * or __iter__ answers differently the second time is judged by its second answer.)
 *
 * Safety: the GIL is held throughout. For the exact built-in types no Python code runs,
 * but a subclass's items() or __iter__, a key's repr() in a message, and the garbage
 * collector (which any allocation of a tracked Python object may run, e.g. the exception
 * of a failed UTF-8 conversion or the list of path steps) can run arbitrary code that
 * changes the containers being walked. So every container holds a strong reference to
 * itself while it is walked, a list is measured again every round, the first pass
 * touches nothing borrowed once it is refused, and the careful pass also holds the key
 * and the item being written. Recursion is bounded by the depth cap.
 */
#include "_codec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../_native.h"

typedef struct {
  char* data;
  size_t length;
  size_t capacity;
  char inline_space[2048]; /* most states fit: no heap allocation for them */
} out_buffer;

/* Refusals and subclasses stay out of line, the hot steps are inlined into the container
 * walks (which recurse through put_value), and the careful pass is the unlikely one. */
#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#define OUT_OF_LINE __attribute__((noinline))
#define COLD __attribute__((cold, noinline))
#define UNLIKELY(condition) __builtin_expect(!!(condition), 0)
#else
#define INLINE inline
#define OUT_OF_LINE
#define COLD
#define UNLIKELY(condition) (condition)
#endif

/* What every step returns: the text is written; the value is outside the dialect (the
 * reason is recorded, the path is being collected); or a Python exception is set. */
enum { WRITTEN = 0, REFUSED = 1, FAILED = -1 };

typedef struct {
  out_buffer out;
  int careful;      /* the second pass: say why, hold every key and item */
  PyObject* reason; /* careful pass, set on REFUSED: "is NaN" */
  PyObject* steps;  /* careful pass, set on REFUSED: the path, innermost step first */
} encoder;

static void buffer_init(out_buffer* out) {
  out->data = out->inline_space;
  out->length = 0;
  out->capacity = sizeof out->inline_space;
}

static void buffer_free(out_buffer* out) {
  if (out->data != out->inline_space) PyMem_Free(out->data);
}

static int reserve(out_buffer* out, size_t more) {
  if (out->capacity - out->length >= more) return WRITTEN;
  if (more > PY_SSIZE_T_MAX - out->length) { /* no state is that large */
    PyErr_NoMemory();
    return FAILED;
  }
  size_t wanted = out->capacity * 2;
  while (wanted - out->length < more) wanted *= 2;
  char* grown;
  if (out->data == out->inline_space) {
    grown = PyMem_Malloc(wanted);
    if (grown != NULL) memcpy(grown, out->data, out->length);
  } else {
    grown = PyMem_Realloc(out->data, wanted);
  }
  if (grown == NULL) {
    PyErr_NoMemory();
    return FAILED;
  }
  out->data = grown;
  out->capacity = wanted;
  return WRITTEN;
}

static int put(out_buffer* out, const char* bytes, size_t count) {
  if (reserve(out, count) != WRITTEN) return FAILED;
  memcpy(out->data + out->length, bytes, count);
  out->length += count;
  return WRITTEN;
}

static int put_char(out_buffer* out, char c) {
  if (out->length == out->capacity && reserve(out, 1) != WRITTEN) return FAILED;
  out->data[out->length++] = c;
  return WRITTEN;
}

/* ---- refusals ---- */

/* Records why the value is refused; `reason` is a new reference (NULL: failed). Every
 * refuse_* function returns at once in the first pass, which only learns that. */
static int refuse(encoder* enc, PyObject* reason) {
  if (reason == NULL) return FAILED;
  enc->reason = reason;
  return REFUSED;
}

/* On the way out of a refusal: the container adds the step that led into it. */
static int add_step(encoder* enc, PyObject* step) {
  if (!enc->careful) return REFUSED;
  if (enc->steps == NULL && (enc->steps = PyList_New(0)) == NULL) return FAILED;
  return PyList_Append(enc->steps, step) < 0 ? FAILED : REFUSED;
}

static int add_index(encoder* enc, Py_ssize_t index) {
  if (!enc->careful) return REFUSED;
  PyObject* step = PyLong_FromSsize_t(index);
  if (step == NULL) return FAILED;
  int rc = add_step(enc, step);
  Py_DECREF(step);
  return rc;
}

static PyObject* type_attribute(PyObject* value, const char* name) {
  return PyObject_GetAttrString((PyObject*)Py_TYPE(value), name);
}

/* "decimal.Decimal"; a built-in type by its name alone ("object", "complex"). */
static PyObject* qualified_type_name(PyObject* value) {
  PyObject* qualname = type_attribute(value, "__qualname__");
  if (qualname == NULL) return NULL;
  PyObject* module = type_attribute(value, "__module__");
  PyObject* name = NULL;
  if (module == NULL) {
    PyErr_Clear();
    name = Py_NewRef(qualname);
  } else if (PyUnicode_Check(module) && PyUnicode_CompareWithASCIIString(module, "builtins") != 0) {
    name = PyUnicode_FromFormat("%U.%U", module, qualname);
  } else {
    name = Py_NewRef(qualname);
  }
  Py_XDECREF(module);
  Py_DECREF(qualname);
  return name;
}

/* The values of the datetime module, named with what to store instead (as Node does for
 * a Date); NULL without an exception if `value` is none of them. */
COLD static PyObject* describe_datetime(PyObject* value) {
  static const struct {
    const char* type;
    const char* hint;
  } kinds[] = {
      /* datetime before date: a datetime is a date */
      {"datetime", "JSON has no dates; store value.isoformat() or value.timestamp()"},
      {"date", "JSON has no dates; store value.isoformat()"},
      {"time", "JSON has no times; store value.isoformat()"},
      {"timedelta", "JSON has no durations; store value.total_seconds()"},
  };
  PyObject* datetime = PyImport_ImportModule("datetime");
  if (datetime == NULL) {
    PyErr_Clear(); /* no hint then */
    return NULL;
  }
  const char* hint = NULL;
  for (size_t i = 0; hint == NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
    PyObject* type = PyObject_GetAttrString(datetime, kinds[i].type);
    if (type == NULL) {
      PyErr_Clear();
      continue;
    }
    if (PyType_Check(type) && PyType_IsSubtype(Py_TYPE(value), (PyTypeObject*)type)) {
      hint = kinds[i].hint;
    }
    Py_DECREF(type);
  }
  Py_DECREF(datetime);
  if (hint == NULL) return NULL;
  PyObject* name = qualified_type_name(value);
  if (name == NULL) return NULL;
  PyObject* reason = PyUnicode_FromFormat("is a %U: %s", name, hint);
  Py_DECREF(name);
  return reason;
}

/* Why a value of a type outside the dialect is refused. */
COLD static int refuse_type(encoder* enc, PyObject* value) {
  if (!enc->careful) return REFUSED;
  if (PyAnySet_Check(value)) {
    PyObject* name = type_attribute(value, "__name__");
    if (name == NULL) return FAILED;
    PyObject* reason =
        PyUnicode_FromFormat("is a %U: JSON has no sets; convert it to a list", name);
    Py_DECREF(name);
    return refuse(enc, reason);
  }
  if (PyBytes_Check(value) || PyByteArray_Check(value) || PyMemoryView_Check(value)) {
    return refuse(enc, PyUnicode_FromString(
                           "is bytes: JSON has no bytes; store a str (value.decode() for text, "
                           "base64 for binary data)"));
  }
  PyObject* reason = describe_datetime(value);
  if (reason != NULL) return refuse(enc, reason);
  if (PyErr_Occurred()) return FAILED;
  PyObject* name = qualified_type_name(value);
  if (name == NULL) return FAILED;
  reason = PyUnicode_FromFormat("is of unsupported type %U", name);
  Py_DECREF(name);
  return refuse(enc, reason);
}

COLD static int refuse_key(encoder* enc, PyObject* key) {
  if (!enc->careful) return REFUSED;
  PyObject* type_name = type_attribute(key, "__name__");
  if (type_name == NULL) return FAILED;
  PyObject* reason = PyUnicode_FromFormat("has a non-string key %R (%U)", key, type_name);
  Py_DECREF(type_name);
  return refuse(enc, reason);
}

/* json raises ValueError("items must return 2-tuples"); this names the path. */
COLD static int refuse_items(encoder* enc, PyObject* dict) {
  if (!enc->careful) return REFUSED;
  PyObject* name = type_attribute(dict, "__name__");
  if (name == NULL) return FAILED;
  PyObject* reason = PyUnicode_FromFormat(
      "is of type %U, whose items() yields something other than (key, value) pairs", name);
  Py_DECREF(name);
  return refuse(enc, reason);
}

COLD static int refuse_depth(encoder* enc) {
  if (!enc->careful) return REFUSED;
  return refuse(enc, PyUnicode_FromFormat("nests deeper than %d levels", DIALECT_MAX_DEPTH));
}

/* ---- scalars ---- */

/* json's encode_basestring (ensure_ascii=False): '"', '\\' and the C0 controls are
 * escaped, the short forms where JSON has them, \u00xx (lowercase hex) otherwise;
 * every other character, DEL and U+2028 included, is written as its UTF-8 bytes. */
static const char SHORT_ESCAPE[0x20] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
};
static const char HEX_DIGITS[] = "0123456789abcdef";

/* A string without a UTF-8 form: PyUnicode_AsUTF8AndSize has raised. */
COLD static int refuse_string(encoder* enc) {
  if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return FAILED;
  PyErr_Clear();
  if (!enc->careful) return REFUSED;
  return refuse(enc, PyUnicode_FromString("is a string with a lone surrogate (not valid Unicode)"));
}

COLD static int refuse_int(encoder* enc, PyObject* value) {
  if (!enc->careful) return REFUSED;
  reprfunc int_repr = (reprfunc)PyType_GetSlot(&PyLong_Type, Py_tp_repr);
  PyObject* digits = int_repr(value); /* as json writes an int subclass: its value */
  if (digits == NULL) return FAILED;
  PyObject* reason =
      PyUnicode_FromFormat("is %U, beyond the safe integer range +-(2^53-1)", digits);
  Py_DECREF(digits);
  return refuse(enc, reason);
}

COLD static int refuse_float(encoder* enc, double x) {
  if (!enc->careful) return REFUSED;
  return refuse(enc, PyUnicode_FromString(isnan(x) ? "is NaN"
                                          : x > 0  ? "is Infinity"
                                                   : "is -Infinity"));
}

/* A str or str subclass, by its characters. */
static int put_string(encoder* enc, PyObject* text) {
  Py_ssize_t size;
  /* Compact ASCII strings hand out their own buffer; others get a UTF-8 copy cached on
   * the string object for its lifetime (as str.encode's fast paths and many C APIs do). */
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &size);
  if (utf8 == NULL) return refuse_string(enc);
  out_buffer* out = &enc->out;
  /* Worst case every byte becomes \u00xx: reserve once, then write without checks. */
  if (reserve(out, (size_t)size * 6 + 2) != WRITTEN) return FAILED;
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
      memcpy(at, "\\u00", 4);
      at[4] = HEX_DIGITS[c >> 4];
      at[5] = HEX_DIGITS[c & 0xf];
      at += 6;
    }
  }
  *at++ = '"';
  out->length = (size_t)(at - out->data);
  return WRITTEN;
}

/* An int or int subclass (IntEnum), by its value, as int.__repr__ writes it. */
static INLINE int put_int(encoder* enc, PyObject* value) {
  int overflow = 0;
  long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (n == -1 && PyErr_Occurred()) return FAILED;
  if (overflow || n < -DIALECT_MAX_SAFE_INTEGER || n > DIALECT_MAX_SAFE_INTEGER) {
    return refuse_int(enc, value);
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
  return put(&enc->out, at, (size_t)(end - at));
}

/* A float or float subclass, by its value. */
static INLINE int put_float(encoder* enc, PyObject* value) {
  double x = PyFloat_AsDouble(value);
  if (!isfinite(x)) return refuse_float(enc, x);
  /* float.__repr__ exactly, which is what json writes: the shortest text that reads
   * back as the same double, with ".0" on integral values ("1e+16" stays as it is).
   * Short decimals (most readings) take the fast path, every other double the
   * interpreter's own algorithm. */
  char short_text[SHORT_FLOAT_MAX];
  int short_length = short_float_repr(x, short_text);
  if (short_length > 0) return put(&enc->out, short_text, (size_t)short_length);
  char* text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
  if (text == NULL) return FAILED;
  int rc = put(&enc->out, text, strlen(text));
  PyMem_Free(text);
  return rc;
}

/* ---- containers ---- */

static int put_value(encoder* enc, PyObject* value, int depth);

/* "key":item, preceded by a comma unless it is the first; the caller holds both in the
 * careful pass (in the first, nothing borrowed is touched after a refusal). */
static INLINE int put_member(encoder* enc, PyObject* key, PyObject* item, int depth, int first) {
  if (Py_TYPE(key) != &PyUnicode_Type && !PyUnicode_Check(key)) return refuse_key(enc, key);
  if (!first && put_char(&enc->out, ',') != WRITTEN) return FAILED;
  int rc = put_string(enc, key);
  if (rc == WRITTEN) rc = put_char(&enc->out, ':');
  if (rc == WRITTEN) rc = put_value(enc, item, depth + 1);
  return rc == REFUSED ? add_step(enc, key) : rc;
}

static int put_exact_dict(encoder* enc, PyObject* dict, int depth) {
  if (put_char(&enc->out, '{') != WRITTEN) return FAILED;
  Py_ssize_t pos = 0;
  PyObject *key, *item;
  int rc = WRITTEN;
  const int careful = enc->careful;
  for (int first = 1; rc == WRITTEN && PyDict_Next(dict, &pos, &key, &item); first = 0) {
    if (UNLIKELY(careful)) {
      Py_INCREF(key);
      Py_INCREF(item);
    }
    rc = put_member(enc, key, item, depth, first);
    if (UNLIKELY(careful)) {
      Py_DECREF(key);
      Py_DECREF(item);
    }
  }
  return rc == WRITTEN ? put_char(&enc->out, '}') : rc;
}

/* A dict subclass, by its items() (json's PyMapping_Items: a list of (key, item)). */
OUT_OF_LINE static int put_dict_subclass(encoder* enc, PyObject* dict, int depth) {
  if (PyDict_Size(dict) == 0) return put(&enc->out, "{}", 2); /* json asks nothing more */
  PyObject* items = PyMapping_Items(dict);
  if (items == NULL) return FAILED;
  int rc = put_char(&enc->out, '{');
  for (Py_ssize_t i = 0; rc == WRITTEN && i < PyList_Size(items); i++) {
    PyObject* pair = PyList_GetItem(items, i);
    if (pair == NULL) {
      rc = FAILED;
    } else if (!PyTuple_Check(pair) || PyTuple_Size(pair) != 2) {
      rc = refuse_items(enc, dict);
    } else {
      Py_INCREF(pair);
      rc = put_member(enc, PyTuple_GetItem(pair, 0), PyTuple_GetItem(pair, 1), depth, i == 0);
      Py_DECREF(pair);
    }
  }
  Py_DECREF(items);
  return rc == WRITTEN ? put_char(&enc->out, '}') : rc;
}

static int put_exact_list(encoder* enc, PyObject* list, int depth) {
  if (put_char(&enc->out, '[') != WRITTEN) return FAILED;
  /* Code run under an item may shrink or grow the list: like json, stop where it ends
   * now. PyList_GetItem checks the index against the current length, and the length is
   * read again when the known one is reached. */
  const int careful = enc->careful;
  Py_ssize_t known = PyList_Size(list);
  for (Py_ssize_t i = 0; i < known || i < (known = PyList_Size(list)); i++) {
    PyObject* item = PyList_GetItem(list, i);
    if (item == NULL) { /* it shrank */
      PyErr_Clear();
      break;
    }
    if (i > 0 && put_char(&enc->out, ',') != WRITTEN) return FAILED;
    if (UNLIKELY(careful)) Py_INCREF(item);
    int rc = put_value(enc, item, depth + 1);
    if (UNLIKELY(careful)) Py_DECREF(item);
    if (rc == REFUSED) return add_index(enc, i);
    if (rc != WRITTEN) return rc;
  }
  return put_char(&enc->out, ']');
}

/* A tuple holds its items for as long as it lives, and the caller holds the tuple. */
static int put_exact_tuple(encoder* enc, PyObject* tuple, int depth) {
  Py_ssize_t size = PyTuple_Size(tuple);
  if (put_char(&enc->out, '[') != WRITTEN) return FAILED;
  for (Py_ssize_t i = 0; i < size; i++) {
    if (i > 0 && put_char(&enc->out, ',') != WRITTEN) return FAILED;
    int rc = put_value(enc, PyTuple_GetItem(tuple, i), depth + 1);
    if (rc == REFUSED) return add_index(enc, i);
    if (rc != WRITTEN) return rc;
  }
  return put_char(&enc->out, ']');
}

/* A list or tuple subclass, by what iterating it yields (json's PySequence_Fast). */
OUT_OF_LINE static int put_sequence_subclass(encoder* enc, PyObject* sequence, int depth) {
  PyObject* iterator = PyObject_GetIter(sequence);
  if (iterator == NULL) return FAILED;
  PyObject* items = PySequence_List(iterator);
  Py_DECREF(iterator);
  if (items == NULL) return FAILED;
  int rc = put_exact_list(enc, items, depth);
  Py_DECREF(items);
  return rc;
}

/* A container holds itself while it is walked: code run under one of its items (a
 * subclass's __iter__, the garbage collector) may drop its parent's reference. */
static INLINE int put_container(encoder* enc, PyObject* value, int depth,
                                int (*walk)(encoder*, PyObject*, int)) {
  if (depth >= DIALECT_MAX_DEPTH) return refuse_depth(enc);
  Py_INCREF(value);
  int rc = walk(enc, value, depth);
  Py_DECREF(value);
  return rc;
}

/* Subclasses of the dialect's types, judged like their base in json's order; then
 * everything else, refused. Under the limited API each subclass test is a function
 * call, so the exact types are told apart by pointer first (put_value). */
OUT_OF_LINE static int put_other(encoder* enc, PyObject* value, int depth) {
  if (PyUnicode_Check(value)) return put_string(enc, value);
  if (PyLong_Check(value)) return put_int(enc, value);
  if (PyFloat_Check(value)) return put_float(enc, value);
  if (PyList_Check(value) || PyTuple_Check(value)) {
    return put_container(enc, value, depth, put_sequence_subclass);
  }
  if (PyDict_Check(value)) return put_container(enc, value, depth, put_dict_subclass);
  return refuse_type(enc, value);
}

static int put_value(encoder* enc, PyObject* value, int depth) {
  PyTypeObject* type = Py_TYPE(value);
  if (type == &PyUnicode_Type) return put_string(enc, value);
  if (type == &PyFloat_Type) return put_float(enc, value);
  if (type == &PyLong_Type) return put_int(enc, value);
  if (value == Py_True) return put(&enc->out, "true", 4);
  if (value == Py_False) return put(&enc->out, "false", 5);
  if (value == Py_None) return put(&enc->out, "null", 4);
  if (type == &PyDict_Type) return put_container(enc, value, depth, put_exact_dict);
  if (type == &PyList_Type) return put_container(enc, value, depth, put_exact_list);
  if (type == &PyTuple_Type) return put_container(enc, value, depth, put_exact_tuple);
  return put_other(enc, value, depth);
}

/* ---- the message ---- */

static int put_utf8_code_point(out_buffer* out, Py_UCS4 c) {
  char bytes[4];
  size_t count;
  if (c < 0x80) {
    bytes[0] = (char)c;
    count = 1;
  } else if (c < 0x800) {
    bytes[0] = (char)(0xc0 | (c >> 6));
    bytes[1] = (char)(0x80 | (c & 0x3f));
    count = 2;
  } else if (c < 0x10000) {
    bytes[0] = (char)(0xe0 | (c >> 12));
    bytes[1] = (char)(0x80 | ((c >> 6) & 0x3f));
    bytes[2] = (char)(0x80 | (c & 0x3f));
    count = 3;
  } else {
    bytes[0] = (char)(0xf0 | (c >> 18));
    bytes[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    bytes[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    bytes[3] = (char)(0x80 | (c & 0x3f));
    count = 4;
  }
  return put(out, bytes, count);
}

static int is_ascii_identifier(PyObject* key) {
  Py_ssize_t length = PyUnicode_GetLength(key);
  if (length <= 0) return 0;
  for (Py_ssize_t i = 0; i < length; i++) {
    Py_UCS4 c = PyUnicode_ReadChar(key, i);
    int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && (i == 0 || c < '0' || c > '9')) return 0;
  }
  return 1;
}

/* One key of the path: .name for an ASCII identifier, else ["as json.dumps quotes it"]
 * (ensure_ascii=False), except that a lone surrogate is shown as its \udxxx escape so
 * the message stays valid Unicode. */
static int put_path_key(out_buffer* out, PyObject* key) {
  Py_ssize_t length = PyUnicode_GetLength(key);
  if (length < 0) return FAILED;
  int identifier = is_ascii_identifier(key);
  if (put(out, identifier ? "." : "[\"", identifier ? 1 : 2) != WRITTEN) return FAILED;
  for (Py_ssize_t i = 0; i < length; i++) {
    Py_UCS4 c = PyUnicode_ReadChar(key, i);
    char escape[7] = {'\\', 0, 0, 0, 0, 0, 0};
    size_t escape_length = 0;
    if (c == '"' || c == '\\') {
      escape[1] = (char)c;
      escape_length = 2;
    } else if (c < 0x20 && SHORT_ESCAPE[c] != 0) {
      escape[1] = SHORT_ESCAPE[c];
      escape_length = 2;
    } else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) {
      escape[1] = 'u';
      for (int digit = 0; digit < 4; digit++)
        escape[2 + digit] = HEX_DIGITS[(c >> (12 - 4 * digit)) & 0xf];
      escape_length = 6;
    }
    int rc = escape_length > 0 ? put(out, escape, escape_length) : put_utf8_code_point(out, c);
    if (rc != WRITTEN) return FAILED;
  }
  return identifier ? WRITTEN : put(out, "\"]", 2);
}

/* Text for the message as UTF-8; what has no UTF-8 form (a lone surrogate in a repr) as
 * a backslash escape, and NUL (which would end the message) as \x00. */
static int put_text(out_buffer* out, PyObject* text) {
  PyObject* bytes = PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace");
  if (bytes == NULL) return FAILED;
  char* data;
  Py_ssize_t size;
  int rc = PyBytes_AsStringAndSize(bytes, &data, &size) < 0 ? FAILED : WRITTEN;
  for (Py_ssize_t i = 0; rc == WRITTEN && i < size; i++) {
    rc = data[i] == '\0' ? put(out, "\\x00", 4) : put_char(out, data[i]);
  }
  Py_DECREF(bytes);
  return rc;
}

/* "state.a[3].b is NaN", raised as ShmStateEncodeError; returns NULL. */
static PyObject* raise_refusal(PyObject* module, encoder* enc) {
  out_buffer message;
  buffer_init(&message);
  int rc = put(&message, "state", 5);
  Py_ssize_t steps = enc->steps == NULL ? 0 : PyList_Size(enc->steps);
  for (Py_ssize_t i = steps - 1; rc == WRITTEN && i >= 0; i--) {
    PyObject* step = PyList_GetItem(enc->steps, i);
    if (step == NULL) {
      rc = FAILED;
    } else if (PyLong_Check(step)) {
      char index[32];
      int length = snprintf(index, sizeof index, "[%zd]", PyLong_AsSsize_t(step));
      rc = put(&message, index, (size_t)length);
    } else {
      rc = put_path_key(&message, step);
    }
  }
  if (rc == WRITTEN) rc = put_char(&message, ' ');
  if (rc == WRITTEN) rc = put_text(&message, enc->reason);
  if (rc == WRITTEN) rc = put_char(&message, '\0');
  if (rc == WRITTEN) native_raise_code(PyModule_GetState(module), "E_ENCODE", message.data, 0);
  buffer_free(&message);
  return NULL;
}

PyObject* codec_encode(PyObject* module, PyObject* value) {
  encoder enc;
  buffer_init(&enc.out);
  enc.careful = 0;
  enc.reason = NULL;
  enc.steps = NULL;
  int rc = put_value(&enc, value, 0);
  if (rc == REFUSED) { /* again, carefully, to say why and where */
    enc.out.length = 0;
    enc.careful = 1;
    rc = put_value(&enc, value, 0);
  }
  PyObject* result = NULL;
  if (rc == WRITTEN) {
    result = PyBytes_FromStringAndSize(enc.out.data, (Py_ssize_t)enc.out.length);
  } else if (rc == REFUSED) {
    raise_refusal(module, &enc);
  }
  buffer_free(&enc.out);
  Py_XDECREF(enc.reason);
  Py_XDECREF(enc.steps);
  return result;
}
