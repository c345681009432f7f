"""Build the Cython kernels; all metadata lives in pyproject.toml.

* The kernels are serial and release the GIL; threads are started in Python
  (fastinit/_engine/parallel.py), so no OpenMP runtime is linked.
* Flags keep bit-identity with the numba backend: -ffp-contract=off (no fused
  multiply-add), never -ffast-math, -Ofast or -march=native.
* On x86-64 the kernel module is compiled three times from one source:
  ``kernels`` (portable), ``_kernels_v3`` (-march=x86-64-v3) and
  ``_kernels_v4`` (-march=x86-64-v4); ``fastinit/_engine/_cython/__init__.py`` picks
  one at import from the CPU's features.
* ``philox_simd.h`` (next to the .pxd files) holds the SIMD Philox batch.
* FASTINIT_CYTHON_DEBUG=1 turns Cython's bounds checking back on.
"""

import glob
import os
import platform
import shutil
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PKG = "fastinit._engine._cython"
SRC = "fastinit/_engine/_cython"
IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64") and sys.maxsize > 2**32

# module -> extra flags per compiler family; the same kernels.pyx in each
VARIANT_FLAGS = {
    "kernels": {"unix": [], "msvc": []},
    "_kernels_v3": {"unix": ["-march=x86-64-v3"], "msvc": ["/arch:AVX2"]},
    "_kernels_v4": {"unix": ["-march=x86-64-v4"], "msvc": ["/arch:AVX512"]},
}
BASE_FLAGS = {
    "unix": ["-O3", "-ffp-contract=off", "-fno-math-errno"],
    "msvc": ["/O2", "/fp:precise"],
}


def compiles(compiler, source, compile_args):
    """True if the compiler accepts a C snippet with these flags."""
    tmp = tempfile.mkdtemp(prefix="fastinit-probe-")
    try:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as f:
            f.write(source)
        compiler.compile([path], output_dir=tmp, extra_postargs=compile_args)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """Probe the -march levels with the configured compiler, then build."""

    def finalize_options(self):
        super().finalize_options()
        # the variants are independent compiles: one per core (pip passes no -j)
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        family = "msvc" if self.compiler.compiler_type == "msvc" else "unix"
        kept = []
        for ext in self.extensions:
            module = ext.name.rsplit(".", 1)[-1]
            arch = VARIANT_FLAGS[module][family]
            if arch and not compiles(self.compiler, "int main(void){return 0;}\n", arch):
                print(f"fastinit: compiler lacks {arch}, skipping {ext.name}", file=sys.stderr)
                continue
            ext.extra_compile_args = BASE_FLAGS[family] + arch
            # reported by fastinit.show_config() through kernels.build_info()
            flags = " ".join(ext.extra_compile_args)
            ext.define_macros.append(("FASTINIT_BUILD_FLAGS", f'"{module}: {flags}"'))
            kept.append(ext)
        self.extensions = kept
        super().build_extensions()


def extensions():
    modules = ["kernels", "_kernels_v3", "_kernels_v4"] if IS_X86_64 else ["kernels"]
    directives = {
        "boundscheck": os.environ.get("FASTINIT_CYTHON_DEBUG") == "1",
        "wraparound": False,
        "cdivision": True,
        "language_level": 3,
    }
    headers = sorted(glob.glob(f"{SRC}/*.h") + glob.glob(f"{SRC}/*.pxd"))
    exts = [Extension(f"{PKG}.{m}", [f"{SRC}/{m}.pyx"], include_dirs=[SRC], depends=headers)
            for m in modules]
    return cythonize(exts, compiler_directives=directives, nthreads=os.cpu_count() or 1)


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
