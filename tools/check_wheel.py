"""Check a built wheel: ``python tools/check_wheel.py DIST.whl`` or ``--smoke``.

``DIST.whl``: the wheel must hold the license, the compiled kernels, the .pxd
headers with the constants.h they name, and the applications, and never the
C that Cython generates (a build intermediate of several MB).

``--smoke``: run by the interpreter of an environment where the wheel is
installed, from a directory without a source tree (``python -I``): fastinit
and its Cython kernels must be imported from that environment's
site-packages, the kernels must hold the constants of the installed
``constants.py``, and every kernel must give the same bits on both backends.

Prints each problem; exit status 1 if any.
"""

import sys
import zipfile
from pathlib import Path

REQUIRED = ("fastinit/__init__.py", "fastinit/_cli/__init__.py",
            "fastinit/_engine/_cython/philox.pxd", "fastinit/_engine/_cython/constants.h")


def problems(names):
    """What is wrong with a wheel holding the files `names`."""
    found = []
    if not any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names):
        found.append("no LICENSE in the .dist-info")
    found += [f"missing {r}" for r in REQUIRED if r not in names]
    if not any(n.startswith("fastinit/_engine/_cython/") and n.endswith((".so", ".pyd"))
               for n in names):
        found.append("no compiled Cython module")
    found += [f"generated C shipped: {n}" for n in names if n.endswith(".c")]
    return found


# one fill per kernel (fill_bits, fill_uniform, fill_normal, fill_truncated_reject,
# fill_truncated_normal, fill_truncated_tail), float32: each Numba kernel compiles
# in a few seconds
SMOKE_FILLS = {
    "random_bits_": {},
    "random_uniform_": {},
    "random_normal_": {},
    "truncated_normal_": {},
    "truncated_normal_ inverse CDF": {"lower": -1.0, "upper": 3.0},
    "truncated_normal_ far tail": {"lower": 3.0, "upper": 5.0},
}


def installed_problems():
    """What is wrong with the fastinit this interpreter imports (see ``--smoke``)."""
    import sysconfig

    import numpy as np

    import fastinit
    from fastinit._engine import _cython, constants

    found = []
    site = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
    for label, path in (("fastinit", fastinit.__file__), ("its Cython kernels",
                                                           _cython._kernels.__file__)):
        if not any(s in Path(path).resolve().parents for s in site):
            found.append(f"{label} imported from {path}, not from {' or '.join(map(str, site))}")
    for name, value in _cython.constants().items():
        if np.asarray(value).tolist() != np.asarray(getattr(constants, name)).tolist():
            found.append(f"compiled {name} is {value!r}, constants.py says "
                         f"{getattr(constants, name)!r}")
    for label, kwargs in SMOKE_FILLS.items():
        func = getattr(fastinit, label.split()[0])
        dtype = np.uint32 if label == "random_bits_" else np.float32
        outs = [func(np.empty((37, 1029), dtype), seed=7, stream="w", backend=backend, **kwargs)
                for backend in ("numba", "cython")]
        if outs[0].tobytes() != outs[1].tobytes():
            found.append(f"{label}: numba and cython differ")
    return found


def main(argv):
    if argv == ["--smoke"]:
        found = installed_problems()
        if not found:
            from fastinit._engine import _cython

            print(f"wheel smoke: {_cython._kernels.__file__} ({_cython.kernel_variant}), "
                  f"{len(SMOKE_FILLS)} kernels, numba == cython")
        for p in found:
            print(f"wheel smoke: {p}")
        return 1 if found else 0
    if len(argv) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as z:
        found = problems(z.namelist())
    for p in found:
        print(f"{argv[0]}: {p}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
