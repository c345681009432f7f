"""Build the Cython kernels; all metadata lives in pyproject.toml.

* OpenMP is probed by compiling and running a tiny ``#pragma omp parallel``
  program; without it (or with FASTINIT_NO_OPENMP=1) the kernels build serial.
* Flags keep bit-identity with the numba backend: -ffp-contract=off (no fused
  multiply-add), never -ffast-math, -Ofast or -march=native.
* On x86-64 the kernel module is compiled three times from one source:
  ``kernels`` (portable), ``_kernels_v3`` (-march=x86-64-v3) and
  ``_kernels_v4`` (-march=x86-64-v4); ``fastinit/_cython/__init__.py`` picks
  one at import from the CPU's features.
* FASTINIT_CYTHON_DEBUG=1 turns Cython's bounds checking back on.
"""

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PKG = "fastinit._cython"
SRC = "fastinit/_cython"
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

OPENMP_PROBE = textwrap.dedent("""\
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d\\n", n);
        return n > 0 && omp_get_max_threads() > 0 ? 0 : 1;
    }
    """)


def openmp_flags(compiler_type):
    """(compile, link) flags that enable OpenMP for this compiler family."""
    if compiler_type == "msvc":
        return ["/openmp"], []
    if sys.platform == "darwin":
        return ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
    return ["-fopenmp"], ["-fopenmp"]


def try_build(compiler, source, compile_args, link_args=None, run=False):
    """Compile (and link and run, if asked) a C snippet; True if all of it works."""
    tmp = tempfile.mkdtemp(prefix="fastinit-probe-")
    try:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as f:
            f.write(source)
        objs = compiler.compile([path], output_dir=tmp, extra_postargs=compile_args)
        if link_args is None:
            return True
        exe = os.path.join(tmp, "probe")
        compiler.link_executable(objs, exe, extra_postargs=link_args)
        if run:
            subprocess.run([exe], check=True, capture_output=True)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """Probe OpenMP and the -march levels with the configured compiler, then build."""

    def build_extensions(self):
        family = "msvc" if self.compiler.compiler_type == "msvc" else "unix"
        omp_compile, omp_link = [], []
        if os.environ.get("FASTINIT_NO_OPENMP") == "1":
            print("fastinit: FASTINIT_NO_OPENMP=1, building the serial kernels")
        else:
            omp_compile, omp_link = openmp_flags(self.compiler.compiler_type)
            if not try_build(self.compiler, OPENMP_PROBE, omp_compile, omp_link, run=True):
                omp_compile, omp_link = [], []
                print(
                    "WARNING fastinit: the OpenMP probe failed to compile or run, so the "
                    "Cython kernels are built serial (n_threads is then 1). To enable "
                    "OpenMP install it (macOS: `brew install libomp`; Linux: your "
                    "compiler's libgomp/libomp) or point CFLAGS/LDFLAGS at it, e.g. "
                    'CFLAGS="-I$(brew --prefix libomp)/include" '
                    'LDFLAGS="-L$(brew --prefix libomp)/lib".',
                    file=sys.stderr,
                )
        kept = []
        for ext in self.extensions:
            module = ext.name.rsplit(".", 1)[-1]
            arch = VARIANT_FLAGS.get(module, {}).get(family, [])
            if arch and not try_build(self.compiler, "int main(void){return 0;}\n", arch):
                print(f"fastinit: compiler lacks {arch}, skipping {ext.name}", file=sys.stderr)
                continue
            ext.extra_compile_args = BASE_FLAGS[family] + arch + omp_compile
            ext.extra_link_args = omp_link
            kept.append(ext)
        modules = [e.name.rsplit(".", 1)[-1] for e in kept]
        summary = " ".join(BASE_FLAGS[family] + omp_compile) + "; kernels: " + ", ".join(
            m for m in modules if m in VARIANT_FLAGS)
        for ext in kept:  # reported by fastinit._cython.openmp.build_flags()
            if ext.name == f"{PKG}.openmp":
                ext.define_macros.append(("FASTINIT_BUILD_FLAGS", f'"{summary}"'))
        self.extensions = kept
        super().build_extensions()


def extensions():
    variants = ["kernels", "_kernels_v3", "_kernels_v4"] if IS_X86_64 else ["kernels"]
    modules = variants + ["openmp"]
    directives = {
        "boundscheck": os.environ.get("FASTINIT_CYTHON_DEBUG") == "1",
        "wraparound": False,
        "cdivision": True,
        "language_level": 3,
    }
    exts = [Extension(f"{PKG}.{m}", [f"{SRC}/{m}.pyx"]) for m in modules]
    return cythonize(exts, compiler_directives=directives)


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
