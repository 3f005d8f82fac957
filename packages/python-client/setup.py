"""Builds shmstate._native from the one C core in packages/native/csrc.

Metadata lives in pyproject.toml; this file only describes the extension, whose sources
are the core's own file list (the same the Node addon compiles), the CPython glue in
src/shmstate/*.c and the JSON codec in src/shmstate/_codec/*.c.

Where the core comes from:
- a checkout of the repository: ../native/csrc, beside this package (the one copy);
- an unpacked sdist: csrc/ inside it. `python setup.py sdist` (and `python -m build`)
  copies the core's build inputs (csrc/*.c, *.h, *.def, warnings.flags, include/*.h) into
  the sdist's csrc/ at packing time, so the sdist builds anywhere. The repository never
  holds that copy; an sdist is recognised by its PKG-INFO.
"""

import glob
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
VENDORED = os.path.join(HERE, "csrc")
CHECKOUT = os.path.join(HERE, "..", "native", "csrc")
IN_SDIST = os.path.isfile(os.path.join(HERE, "PKG-INFO")) and os.path.isdir(VENDORED)
CSRC = VENDORED if IN_SDIST else CHECKOUT
# The core's build inputs, relative to csrc: what an sdist carries (not its tests or fuzzing).
CORE_PATTERNS = ["*.c", "*.h", "*.def", "warnings.flags", os.path.join("include", "*.h")]
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
            "build from a checkout of the shmstate repository or from its sdist"
        )
    return found


def core_files() -> list[str]:
    """The core's build inputs, relative to CSRC."""
    found = []
    for pattern in CORE_PATTERNS:
        found += sorted(glob.glob(os.path.join(CSRC, pattern)))
    return [os.path.relpath(path, CSRC) for path in found]


class SdistWithCore(sdist):
    """sdist that carries the C core in csrc/, so the sdist builds outside the repository.

    setuptools lists the extension's sources as found (../native/csrc/... in a checkout);
    those paths point outside the package, so they are left out of the release tree and
    the core is copied into its csrc/ instead, where setup.py looks for it in an sdist."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        inside = [name for name in files if not os.path.normpath(name).startswith("..")]
        super().make_release_tree(base_dir, inside)
        if IN_SDIST:
            return  # csrc/ is already part of this package's files
        for name in core_files():
            target = os.path.join(base_dir, "csrc", name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(CSRC, name), target)


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
    cmdclass={"sdist": SdistWithCore},
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
