"""tools/check_wheel.py, which ``.ci/run`` runs on the wheel it builds (its contents)
and, with ``--smoke``, in a fresh environment holding only that wheel; the license file."""

import importlib.util
import pathlib
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_wheel", ROOT / "tools" / "check_wheel.py")
check_wheel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_wheel)

GOOD = ["fastinit/__init__.py", "fastinit/_cli/__init__.py", "fastinit/_engine/_cython/philox.pxd",
        "fastinit/_engine/_cython/constants.h",
        "fastinit/_engine/_cython/kernels.cpython-311-x86_64-linux-gnu.so",
        "fastinit_weights-0.1.0.dist-info/licenses/LICENSE"]


def test_a_complete_wheel_passes():
    assert check_wheel.problems(GOOD) == []


def test_generated_c_missing_license_or_kernels_fail():
    bad = [n for n in GOOD if not n.endswith(("LICENSE", ".so"))]
    found = check_wheel.problems(bad + ["fastinit/_engine/_cython/kernels.c"])
    assert found == ["no LICENSE in the .dist-info", "no compiled Cython module",
                     "generated C shipped: fastinit/_engine/_cython/kernels.c"]


def test_main_reads_a_wheel_file(tmp_path, capsys):
    path = tmp_path / "x.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name in [*GOOD, "fastinit/_engine/_cython/openmp.c"]:
            z.writestr(name, "")
    assert check_wheel.main([str(path)]) == 1
    assert "generated C shipped: fastinit/_engine/_cython/openmp.c" in capsys.readouterr().out


def test_a_wheel_without_the_generated_header_fails():
    names = [n for n in GOOD if not n.endswith("constants.h")]
    assert check_wheel.problems(names) == ["missing fastinit/_engine/_cython/constants.h"]


@pytest.mark.usefixtures("cython_kernels")
def test_smoke_run_from_a_source_tree_reports_the_tree():
    # here fastinit comes from the checkout: only where it comes from is wrong
    found = check_wheel.installed_problems()
    assert [p.split(" imported from ")[0] for p in found] == ["fastinit", "its Cython kernels"]


def test_license_is_bsd_3_clause_as_the_metadata_says():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) 2026, the fastinit authors" in text
    assert "BSD-3-Clause" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
