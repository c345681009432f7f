"""The case registry (tests/cases.py) covers every public initializer."""

import inspect
import pathlib

import numpy as np
import pytest
from cases import CASES, case_dtype_pairs

import fastinit

KINDS = {"constant", "bits", "uniform", "normal", "truncated", "other", "structured"}


def _public_fills():
    """Names in fastinit.__all__ that fill a buffer: functions whose first parameter is out."""
    names = set()
    for name in fastinit.__all__:
        obj = getattr(fastinit, name)
        if inspect.isfunction(obj):
            params = list(inspect.signature(obj).parameters)
            if params[:1] == ["out"]:
                names.add(name)
    return names


def test_every_public_initializer_has_a_row():
    missing = _public_fills() - {case.name for case in CASES}
    assert missing == set(), f"add rows for {sorted(missing)} to tests/cases.py"


def test_the_registry_sees_the_known_initializers():
    # guards the discovery above: it must find at least today's fills
    assert {"zeros_", "random_bits_", "he_normal_", "variance_scaling_"} <= _public_fills()


def test_rows_are_well_formed():
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert case.kind in KINDS, case.id
        assert hasattr(fastinit, case.name), case.id
        lawless = ("constant", "bits", "other", "structured")
        assert (case.exact is None) == (case.kind in lawless), case.id
        assert (case.value is None) == (case.kind != "constant"), case.id


@pytest.mark.parametrize(("case", "dtype"), case_dtype_pairs(CASES),
                         ids=[f"{c.id}-{d.name}" for c, d in case_dtype_pairs(CASES)])
def test_every_row_fills_its_buffer(case, dtype):
    out = np.zeros((3, 5), dtype)
    kw = dict(seed=1) if case.random else {}
    assert case.call(out, **kw) is out


def test_slow_marker_is_skipped_without_the_option(pytester):
    pytester.makeconftest((pathlib.Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_x="""
import pytest

@pytest.mark.slow
def test_big():
    pass

def test_small():
    pass
""")
    pytester.makeini("[pytest]\nmarkers = slow: large\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=1)
    pytester.runpytest("-p", "no:cacheprovider", "--run-slow").assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:cacheprovider", "--only-slow").assert_outcomes(passed=1,
                                                                                skipped=1)
