"""The suite's own machinery: the registry (tests/cases.py) covers every public
initializer, and optional dependencies go through conftest.require and ``--require-all``."""

import inspect
import pathlib
import re

import numpy as np
import pytest
from cases import CASES, SPECIALIZATIONS, case_dtype_pairs

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


def test_variance_scaling_rows_have_the_kind_of_their_distribution():
    kinds = {"uniform": "uniform", "truncated_normal": "truncated", "normal": "normal",
             "untruncated_normal": "normal"}
    rows = [case for case in CASES if case.variance_scaling is not None]
    assert len(rows) >= 9
    for case in rows:
        assert case.kind == kinds[case.variance_scaling[2]], case.id


def test_every_specialization_of_variance_scaling_says_which_it_is():
    # a public fill taking in_axis is variance_scaling_ or a named specialization of it,
    # whose row gives its (scale, mode, distribution) for tests/test_fans.py
    for name in {case.name for case in CASES} - {"variance_scaling_"}:
        if "in_axis" in inspect.signature(getattr(fastinit, name)).parameters:
            assert name in SPECIALIZATIONS, f"give the row of {name} its vs=(scale, mode, ...)"


# --- optional dependencies: one helper, one switch ------------------------------
SCRATCH_TESTS = """
import pytest
from conftest import require

def test_present():
    assert require("json").dumps(1) == "1"

def test_missing():
    require("fastinit_no_such_module")

def test_missing_looked_up_only():
    require("json", "fastinit_no_such_module", load=False)

def test_skipped_for_another_reason():
    pytest.skip("a reason")
"""


def test_a_missing_module_skips_and_fails_under_require_all(pytester):
    pytester.makeconftest((pathlib.Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_x=SCRATCH_TESTS,
                        test_y="from conftest import require\n"
                               "require('fastinit_no_such_module')\n"
                               "def test_never_collected():\n    pass\n")
    plain = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-ra")
    plain.assert_outcomes(passed=1, skipped=4)
    plain.stdout.fnmatch_lines(["*fastinit_no_such_module does not import*"])
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--require-all",
                                           "test_x.py")
    strict.assert_outcomes(passed=1, failed=3)
    strict.stdout.fnmatch_lines(["*--require-all: fastinit_no_such_module does not import*",
                                 "*skipped under --require-all*a reason*"])
    # at module level: a collection error, which stops the session
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--require-all",
                                           "test_y.py")
    strict.assert_outcomes(errors=1)
    assert strict.ret != 0


def test_tests_reach_optional_modules_only_through_require():
    # pytest.importorskip, skip marks and bare skips would bypass --require-all's reasons
    here = pathlib.Path(__file__).parent
    bypass = re.compile(r"importorskip|mark\.skip|pytest\.skip\(|find_spec\(")
    mine = ("conftest.py", pathlib.Path(__file__).name)  # the helper, and the scratch tests above
    found = [f"{path.name}:{i}" for path in sorted(here.glob("*.py")) if path.name not in mine
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if bypass.search(line) and not line.lstrip().startswith("#")]
    assert found == [], f"use conftest.require instead at {found}"
