"""The two backends mirror each other file for file, name for name, step for step.

Every module of ``fastinit/_engine/_numba/`` has a twin of the same stem in
``fastinit/_engine/_cython/`` (``.pxd`` for inline helpers, ``.pyx`` for the entry
points) defining exactly the same functions, and the numbered step comments,
``# (N) ...``, appear in the same functions, in the same order, with the same
words. The only code without a twin is ``philox_simd.h`` (integers only,
pinned by the known-answer tests and the rejection sampler's comparisons
with the reference), which is C, not a ``.pxd``.
"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import fastinit

ROOT = Path(fastinit.__file__).parent / "_engine"
NUMBA_FILES = sorted(p for p in (ROOT / "_numba").glob("*.py") if p.name != "__init__.py")
CYTHON_DEF = re.compile(r"^(?:cdef inline [\w ]+?[ *]|cpdef [\w ]+?[ *]|def )(\w+)\(")
NUMBA_DEF = re.compile(r"^def (\w+)\(")
STEP = re.compile(r"\((\d+)\)\s*([^;(]*)")


def twin(path):
    for suffix in (".pxd", ".pyx"):
        candidate = ROOT / "_cython" / (path.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def functions(path, pattern):
    """Function name -> its numbered steps [(number, words), ...], in file order."""
    found = {}
    current = None
    for line in path.read_text().splitlines():
        match = pattern.match(line)
        if match:
            current = match.group(1)
            assert current not in found, f"{path.name}: {current} defined twice"
            found[current] = []
        elif current is not None and "#" in line:
            comment = line.split("#", 1)[1]
            found[current] += [(n, " ".join(words.split()).rstrip(" .,"))
                               for n, words in STEP.findall(comment)]
    return found


def test_every_file_has_a_twin():
    assert [p.stem for p in NUMBA_FILES] == ["chunks", "kernels", "normal", "philox", "rejection",
                                             "tails", "transforms", "truncated", "uniform"]
    cython = {p.stem for p in (ROOT / "_cython").glob("*.p[yx][xd]")
              if not p.stem.startswith("_")}
    assert cython == {p.stem for p in NUMBA_FILES}
    for path in NUMBA_FILES:
        assert twin(path) is not None, path.name


@pytest.mark.parametrize("path", NUMBA_FILES, ids=lambda p: p.stem)
def test_same_functions_and_numbered_steps(path):
    numba = functions(path, NUMBA_DEF)
    cython = functions(twin(path), CYTHON_DEF)
    assert len(numba) >= 3
    assert sorted(numba) == sorted(cython)
    for name, steps in numba.items():
        assert steps == cython[name], name


def test_kernels_have_numbered_steps():
    # the comparison above is not vacuous: every file with a *_run_* or
    # *_batch_* loop carries its steps (1)-(4)
    for path in NUMBA_FILES:
        steps = {n for s in functions(path, NUMBA_DEF).values() for n, _ in s}
        if path.stem in ("uniform", "normal", "truncated", "tails", "rejection"):
            assert steps == {"1", "2", "3", "4"}, path.name


def test_step_parser_sees_a_difference(tmp_path):
    a = tmp_path / "a.py"
    b = tmp_path / "b.pxd"
    a.write_text("def f(x):\n    # (1) counter; (2) words\n    return x\n")
    b.write_text("cdef inline int f(int x) noexcept nogil:\n    # (2) words; (1) counter\n")
    assert functions(a, NUMBA_DEF) == {"f": [("1", "counter"), ("2", "words")]}
    assert functions(b, CYTHON_DEF) == {"f": [("2", "words"), ("1", "counter")]}


# --- the entry points: same signatures, same constants -------------------------
needs_both = pytest.mark.usefixtures("cython_kernels")
ENTRY_POINTS = ("fill_bits", "fill_uniform", "fill_normal", "fill_truncated_normal",
                "fill_truncated_reject", "fill_truncated_tail")


@needs_both
def test_entry_point_signatures_are_equal():
    from fastinit._engine._cython import _kernels
    from fastinit._engine._numba import kernels

    for name in ENTRY_POINTS:
        numba_args = list(inspect.signature(getattr(kernels, name).py_func).parameters)
        cython_args = list(inspect.signature(getattr(_kernels, name)).parameters)
        assert cython_args == numba_args, name
        assert numba_args[-4:] == ["claims", "t1", "grain", "quota"], name


@needs_both
def test_both_backends_hold_the_same_constants():
    # each backend at the precision it computes in: Cython keeps doubles and
    # rounds float32 coefficients at the use site, Numba stores them rounded
    from fastinit._engine import _cython
    from fastinit._engine._numba import kernels

    numba, cython = kernels.constants(), _cython.constants()
    assert sorted(numba) == sorted(cython)
    for name, value in numba.items():
        have = np.asarray(value)
        want = np.asarray(cython[name]).astype(have.dtype)
        assert have.shape == want.shape, name
        assert have.tobytes() == want.tobytes(), name


def test_no_numba_kernel_uses_fastmath():
    import importlib

    for path in NUMBA_FILES:
        module = importlib.import_module(f"fastinit._engine._numba.{path.stem}")
        jitted = [obj for obj in vars(module).values() if hasattr(obj, "targetoptions")]
        assert jitted, path.stem
        for obj in jitted:
            assert not obj.targetoptions.get("fastmath", False), obj
