"""Shared fixtures (backends, dtypes), optional imports, and the ``--require-all`` switch."""

import importlib
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

from fastinit._engine import backends, formats

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # tests/reference.py

pytest_plugins = ["pytester"]  # test_registry runs the switch in a scratch session

DATA = pathlib.Path(__file__).parent / "data"
CYTHON = "fastinit._engine._cython"  # the compiled kernels: optional, like a framework
# the backends this interpreter can run; the `backend` fixture offers both regardless
BACKENDS = ["numba"] + (["cython"] if backends.cython_available() else [])
DTYPES = [np.float32, np.float64, np.float16, formats.BFLOAT16]
DTYPE_IDS = ["f32", "f64", "f16", "bf16"]

_require_all = False  # set from --require-all in pytest_configure, before collection


def pytest_addoption(parser):
    parser.addoption(
        "--require-all", action="store_true",
        help="fail, instead of skipping, every test whose optional dependency (the Cython "
             "extension, torch, transformers, safetensors, keras, jax, flax, scipy, "
             "scikit-learn, matplotlib, ...) does not import; any other skip fails too")


def pytest_configure(config):
    global _require_all
    _require_all = config.getoption("--require-all")
    # pytest-xdist (-n): its workers would each JIT the same Numba kernels at the
    # same time; compiled first, in two processes at once, they are in Numba's
    # cache before any worker starts
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        _warm_numba_cache()


def require(module, *more, load=True):
    """Import and return ``module`` after checking that ``more`` import too.

    The one way a test reaches an optional dependency. When one is missing
    the test (or, called at module level, the module) is skipped, with the
    reason in the ``-ra`` summary; under ``--require-all`` it fails instead.
    ``load=False`` only looks the modules up (``importlib.util.find_spec``),
    for tests that use them in a subprocess and keep them out of this one.
    """
    found = None
    for name in (module, *more):
        try:
            if load:
                imported = importlib.import_module(name)
            elif importlib.util.find_spec(name) is None:
                raise ModuleNotFoundError(f"No module named {name!r}")
        except ImportError as exc:
            reason = f"{name} does not import ({exc}); pip install -e '.[test]' installs it"
            if _require_all:
                pytest.fail(f"--require-all: {reason}", pytrace=False)
            pytest.skip(reason, allow_module_level=True)
        if found is None and load:
            found = imported
    return found


def require_all():
    """Whether this session runs under ``--require-all`` (forwarded to pytest subprocesses)."""
    return _require_all


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # --require-all: nothing is skipped, whatever asked for the skip
    report = yield
    if _require_all and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under --require-all: {report.longrepr}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if _require_all and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under --require-all: {report.longrepr}"
    return report


@pytest.fixture(params=["numba", "cython"])
def backend(request):
    if request.param == "cython":
        require(CYTHON)
    return request.param


@pytest.fixture
def cython_kernels():
    """The compiled kernels, for tests that need both backends at once."""
    return require(CYTHON)


@pytest.fixture(params=DTYPES, ids=DTYPE_IDS)
def dtype(request):
    return np.dtype(request.param)


def as_bytes(a):
    """Raw bytes of an array, for bit-for-bit comparison."""
    return np.ascontiguousarray(a).view(np.uint8).tobytes()


def _warm_numba_cache():
    import os
    import subprocess

    here = pathlib.Path(__file__).parent
    path = os.pathsep.join(filter(None, [str(here.parent), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)  # the fastinit this session imports
    groups = [subprocess.Popen([sys.executable, str(here / "numba_warm.py"), str(g)], env=env)
              for g in (0, 1)]
    failed = [p.args for p in groups if p.wait() != 0]
    if failed:
        raise pytest.UsageError(f"compiling the Numba kernels failed: {failed}")
