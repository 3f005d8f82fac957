/*
 * The Python package's JSON codec in C: the one encoder of the shmstate JSON dialect
 * (_encode.c), the float formatting it uses (_short_float.c), and the RFC 6902 diff of
 * two states (_diff.c). Decoding is done in shmstate/codec.py, by orjson when it is
 * installed and by the standard library's json otherwise. The binding glue (../_native.c)
 * registers codec_encode as _native.encode and codec_diff as _native.diff.
 */
#ifndef SHMSTATE_PY_CODEC_H
#define SHMSTATE_PY_CODEC_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The dialect's limits: codec.MAX_DEPTH and codec.MAX_SAFE_INTEGER, exported by _native
 * so that a test keeps the two sides equal. The top-level container is depth 0; a
 * container at depth DIALECT_MAX_DEPTH is one level too deep (65 levels). */
#define DIALECT_MAX_DEPTH 64
#define DIALECT_MAX_SAFE_INTEGER 9007199254740991LL /* 2^53 - 1 */

/* ---- _encode.c: the encoder ---- */

/* encode(value) -> bytes: the UTF-8 JSON of `value`, byte for byte what
 * json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")) writes;
 * ShmStateEncodeError (E_ENCODE) naming the path of the first value outside the dialect.
 * `module` is shmstate._native (its state holds the error factory). */
PyObject* codec_encode(PyObject* module, PyObject* value);

/* ---- _diff.c: the diff ---- */

/* The strings every op is made of, made once per module (module_state.diff_words). */
typedef struct {
  PyObject *op, *path, *value;       /* the members of an op */
  PyObject *add, *remove, *replace;  /* the ops */
  PyObject *empty, *slash;           /* "" (the root's pointer) and "/" */
  PyObject *tilde, *tilde0, *tilde1; /* "~", "~0", "~1": escaping */
} diff_words;

int codec_diff_words_init(diff_words* words);
void codec_diff_words_clear(diff_words* words);

/* diff(old, new) -> list: the RFC 6902 ops that take `old` to `new`, exactly as
 * shmstate.json_diff._diff_python writes them. `module` is shmstate._native. */
PyObject* codec_diff(PyObject* module, PyObject* const* args, Py_ssize_t nargs);

/* ---- _short_float.c: repr of the common floats ---- */

#define SHORT_FLOAT_MAX 32
/* float.__repr__(x) into `out` for doubles with a short decimal form in repr's fixed
 * notation range; returns the length (no terminator), or 0 for any other double. */
int short_float_repr(double x, char out[SHORT_FLOAT_MAX]);

#endif /* SHMSTATE_PY_CODEC_H */
