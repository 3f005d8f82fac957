"""Builds shmstate._native from the one C core in packages/native/csrc.

Metadata lives in pyproject.toml; this file only describes the extension, whose sources
are the core's own file list (the same the Node addon compiles), the CPython glue in
src/shmstate/*.c and the JSON codec in src/shmstate/_codec/*.c. It builds from a checkout
of the repository, where ../native/csrc sits beside this package.
"""

import glob
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join(HERE, "..", "native", "csrc")
GLUE = os.path.join(HERE, "src", "shmstate")
CODEC = os.path.join(GLUE, "_codec")


def relative(pattern: str) -> list[str]:
    """Files matching `pattern`, sorted, relative to this file (as setuptools wants)."""
    return [os.path.relpath(path, HERE) for path in sorted(glob.glob(pattern))]


def warning_flags() -> list[str]:
    """The core's one list of C warning flags (the Makefile and binding.gyp read it too),
    with -Werror when SHMSTATE_WERROR=1 (the test command sets it)."""
    with open(os.path.join(CSRC, "warnings.flags"), encoding="utf-8") as flags:
        found = [*flags.read().split(), "-Wstrict-prototypes"]
    return [*found, "-Werror"] if os.environ.get("SHMSTATE_WERROR") == "1" else found


def core_sources() -> list[str]:
    found = relative(os.path.join(CSRC, "*.c"))
    if not found:
        raise SystemExit(
            f"shmstate: no C core sources in {os.path.normpath(CSRC)}; "
            "build from a checkout of the shmstate repository"
        )
    return found


native = Extension(
    "shmstate._native",
    sources=[
        *core_sources(),
        *relative(os.path.join(GLUE, "*.c")),
        *relative(os.path.join(CODEC, "*.c")),
    ],
    # Headers: a change to any of them rebuilds the extension.
    depends=[
        *relative(os.path.join(CSRC, "*.h")),
        *relative(os.path.join(CSRC, "*.def")),
        *relative(os.path.join(CSRC, "include", "*.h")),
        *relative(os.path.join(GLUE, "*.h")),
        *relative(os.path.join(CODEC, "*.h")),
    ],
    include_dirs=[
        os.path.relpath(os.path.join(CSRC, "include"), HERE),
        os.path.relpath(CSRC, HERE),
    ],
    define_macros=[("Py_LIMITED_API", "0x030A0000")],
    py_limited_api=True,
    extra_compile_args=["-std=c11", "-D_GNU_SOURCE", "-O2", *warning_flags()],
)

setup(
    ext_modules=[native],
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
