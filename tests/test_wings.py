"""The library and the applications: what imports what.

The library (``fastinit`` outside ``fastinit/_cli``) never imports the
applications or the heavy optional packages; inside the applications, no
command borrows another module's private helper.
"""

import ast
import json
import pathlib
import subprocess
import sys

import pytest
from conftest import CYTHON, require

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fastinit"
# never imported by `import fastinit`: optional integrations and the applications
FORBIDDEN = ("matplotlib", "sklearn", "scipy", "torch", "jax", "keras", "flax", "transformers",
             "safetensors", "PIL", "fastinit._cli")


def _modules_after(code):
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300, check=True, cwd=ROOT)
    return json.loads(res.stdout.splitlines()[-1])


def _forbidden(modules, allowed=()):
    return [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)
            and m.split(".")[0] not in allowed]


@pytest.mark.parametrize("code", [
    "import fastinit",
    "import fastinit.diagnose",
    "import fastinit, numpy as np; fastinit.he_normal_(np.empty((64, 64), np.float32), seed=0,"
    " backend='cython')",
])
def test_library_imports_no_application_and_no_optional_package(code):
    if "cython" in code:
        require(CYTHON)
    assert _forbidden(_modules_after(code)) == []


@pytest.mark.parametrize("code", [
    "import fastinit; fastinit.show_config()",
    "import fastinit, numpy as np; fastinit.he_normal_(np.empty((64, 64), np.float32), seed=0,"
    " backend='numba')",
])
def test_numba_paths_import_no_application(code):
    # `import numba` itself imports scipy when it is installed: only scipy is let through
    assert _forbidden(_modules_after(code), allowed=("scipy",)) == []


def test_the_probe_sees_an_import():
    # the check above can fail: importing the applications shows up
    assert "fastinit._cli" in _forbidden(_modules_after("import fastinit._cli.bench"))


def _imports(path):
    """(module imported, names imported) of every import in `path`, made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = f"{base}.{node.module}" if node.level and node.module else (
                base if node.level else node.module)
            yield module, tuple(a.name for a in node.names)


def _sources(under):
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


LIBRARY = [p for p in _sources(PACKAGE) if "_cli" not in p.relative_to(PACKAGE).parts
           and p.name != "__main__.py"]
APPLICATIONS = _sources(PACKAGE / "_cli")


def _submodule(name):
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_module_never_imports_the_applications_or_the_package_root(path):
    for module, names in _imports(path):
        assert not module.startswith("fastinit._cli"), f"{path.name} imports {module}"
        if path != PACKAGE / "__init__.py":  # arrows run one way: nothing imports __init__
            assert module != "fastinit" or (names and all(map(_submodule, names))), (
                f"{path.name} imports {names or 'fastinit'} from the package's __init__")


@pytest.mark.parametrize("path", APPLICATIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_command_borrows_another_modules_private_helper(path):
    for module, names in _imports(path):
        if module.startswith("fastinit._cli"):
            private = [n for n in names if n.startswith("_")]
            assert private == [], f"{path.name} imports {private} from {module}"


def test_import_parser_resolves_relative_imports():
    found = dict(_imports(PACKAGE / "_cli" / "model.py"))
    assert "fastinit.initializers" in found or ("fastinit" in found
                                                and "initializers" in found["fastinit"])
    assert "fastinit._cli.baseline" in found
