"""Check a built wheel's contents: ``python tools/check_wheel.py DIST.whl``.

The wheel must hold the license, the compiled kernels, the .pxd headers and
the applications, and never the C that Cython generates (a build
intermediate of several MB). Prints each problem; exit status 1 if any.
"""

import sys
import zipfile

REQUIRED = ("fastinit/__init__.py", "fastinit/_cli/__init__.py",
            "fastinit/_engine/_cython/philox.pxd")


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


def main(argv):
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
