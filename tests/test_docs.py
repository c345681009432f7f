"""Documentation: Parameters sections match signatures, examples run, the docs name the API.

Every public function has a numpydoc docstring whose Parameters section names
its signature's parameters in order, and Returns and Examples sections. The
docs site (docs/) builds without a warning and its API reference documents every
public name; the NumPy guide names the whole API with its defaults; the
randomness contract and the package docstring agree.
"""

import ast
import doctest
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest
from cases import SPECIALIZATIONS
from conftest import require

import fastinit
import fastinit.initializers

ROOT = pathlib.Path(__file__).resolve().parent.parent
NUMPY_GUIDE = ROOT / "docs" / "guide" / "numpy.md"
CONTRACT = ROOT / "docs" / "contract.md"
DOCUMENTED = [name for name in fastinit.__all__ if name != "show_config"]


def documented_parameters(doc):
    """Names in the numpydoc "Parameters" section, in order ("a, b : float" gives a, b)."""
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"}:
            indent = len(line) - len(line.lstrip())
            body = lines[i + 2:]
            break
    else:
        return None
    names = []
    for j, line in enumerate(body):
        if not line.strip():
            continue
        if j + 1 < len(body) and set(body[j + 1].strip()) == {"-"}:
            break  # the next section's title
        if len(line) - len(line.lstrip()) == indent:
            names += [n.strip() for n in line.split(" : ")[0].split(",")]
    return names


def signature_parameters(func):
    return list(inspect.signature(func).parameters)


def test_documented_parameters_parser():
    doc = """Summary.

    Parameters
    ----------
    out : array
        Buffer; see `x`.
    minval, maxval : float, default -0.05, 0.05
        Bounds.
    mode : {"a", "b"}
    flag

    Returns
    -------
    out
    """
    assert documented_parameters(doc) == ["out", "minval", "maxval", "mode", "flag"]
    assert documented_parameters("Summary only.") is None


def test_every_public_name_is_documented():
    assert set(DOCUMENTED) <= set(dir(fastinit))
    assert len(DOCUMENTED) == len(fastinit.__all__) - 1
    for name in DOCUMENTED:
        assert inspect.isfunction(getattr(fastinit, name)), name


@pytest.mark.parametrize("name", DOCUMENTED)
def test_parameters_section_names_exactly_the_signature(name):
    func = getattr(fastinit, name)
    documented = documented_parameters(func.__doc__ or "")
    assert documented is not None, f"{name} has no numpydoc Parameters section"
    assert sorted(documented) == sorted(signature_parameters(func))
    assert len(documented) == len(set(documented)), f"{name} documents a parameter twice"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_parameters_section_follows_signature_order(name):
    func = getattr(fastinit, name)
    assert documented_parameters(func.__doc__ or "") == signature_parameters(func)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_docstring_has_parameters_returns_and_examples(name):
    doc = inspect.cleandoc(getattr(fastinit, name).__doc__)
    for section in ("Parameters", "Returns", "Examples"):
        assert re.search(rf"^{section}\n-+$", doc, re.M), f"{name}: no {section} section"
    assert "%(" not in doc, f"{name}: unfilled template"


# The public modules whose docstring examples must run. A module added to the
# public API adds its name here; test_every_public_module_is_collected checks that.
PUBLIC_MODULES = ["fastinit", "fastinit.initializers", "fastinit.diagnose", "fastinit.matrices",
                  "fastinit.checkpoint"]
# Public modules whose examples need an optional framework run in their own tests:
# fastinit.torch in tests/test_torch_docs.py; fastinit.jax and fastinit.keras in the
# subprocesses of tests/test_jax.py and tests/test_keras.py (their backend is fixed at import).
EXAMPLES_ELSEWHERE = ["fastinit.torch", "fastinit.jax", "fastinit.keras"]


def _collect_examples():
    """Doctests of each public module and of every object its ``__all__`` exports.

    Objects are collected by identity, wherever they are defined (the named
    initializers live in a private module), each once.
    """
    import importlib

    finder = doctest.DocTestFinder(recurse=False)
    tests, seen = [], set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        objects = [(module_name, module)] + [(f"{module_name}.{name}", getattr(module, name))
                                             for name in getattr(module, "__all__", [])]
        for qualname, obj in objects:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            tests += [t for t in finder.find(obj, qualname, globs={}) if t.examples]
    return tests


def test_every_public_module_is_collected():
    import pkgutil

    public = {f"fastinit.{m.name}" for m in pkgutil.iter_modules(fastinit.__path__)
              if not m.name.startswith("_")}
    assert public <= set(PUBLIC_MODULES) | set(EXAMPLES_ELSEWHERE)


def test_docstring_examples_run():
    tests = _collect_examples()
    names = {t.name.rsplit(".", 1)[-1] for t in tests}
    assert set(DOCUMENTED) <= names, "every public function has examples"
    examples = sum(len(t.examples) for t in tests)
    assert examples >= 2 * len(DOCUMENTED), f"only {examples} examples collected"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test)
    failures, attempted = runner.summarize(verbose=False)
    assert failures == 0
    assert attempted == examples


def test_numpy_guide_names_every_public_name():
    text = NUMPY_GUIDE.read_text(encoding="utf-8")
    missing = [name for name in fastinit.__all__
               if not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)
               and f"fastinit.{name}" not in text]
    assert missing == []


def _guide_signatures():
    """``name -> {param: default text or None}`` for each ``name(out, *, ...)`` in the API table."""
    text = NUMPY_GUIDE.read_text(encoding="utf-8")
    rows = {}
    for name, args in re.findall(r"^\| `(\w+_)\(out, \*, ([^`]*)\)`", text, re.M):
        parts = [a.strip() for a in re.split(r",\s*(?![^()]*\))", args)]
        rows[name] = {p.split("=")[0]: (p.split("=", 1)[1] if "=" in p else None)
                      for p in parts}
    return rows


def test_numpy_guide_api_signatures_show_every_default():
    rows = _guide_signatures()
    assert {"random_uniform_", "random_normal_", "truncated_normal_",
            "variance_scaling_", "orthogonal_"} <= set(rows)
    for name, shown in rows.items():
        params = inspect.signature(getattr(fastinit, name)).parameters
        for param, default in shown.items():
            expected = params[param].default
            if expected is inspect.Parameter.empty:
                assert default is None, (name, param)
            else:
                assert default is not None, f"the guide shows {name}({param}) without its default"
                assert eval(default) == expected, (name, param)  # noqa: S307 - the guide's literals


def test_numpy_guide_documents_every_n_threads_value():
    text = NUMPY_GUIDE.read_text(encoding="utf-8")
    section = text[text.index("**Threads.**"):]
    section = " ".join(section[:section.index("\n\n")].split())
    for phrase in ("`n_threads=None`", "affinity", "`-1`", "`-k`", "`k - 1`",
                   "more than there are cores", "`0` is a `ValueError`"):
        assert phrase in section, phrase


# The randomness contract is written in full in docs/contract.md and in short in the
# package docstring; each of these terms of it must read the same in both.
CONTRACT_TERMS = ["Philox4x32-10", "(seed & 0xFFFFFFFF, seed >> 32)",
                  "(q & 0xFFFFFFFF, q >> 32, s & 0xFFFFFFFF, s >> 32)", "q = w // 4",
                  'person=b"fastinit-stream"', "digest_size=8", "(w >> 8) * 2**-24",
                  "+ 1) * 2**-24", "4 Newton", "Cody", "Giles", "nearest even",
                  "16 values", "5.77", "fastinit/_engine/constants.py", "0.95",
                  "(r << 61) | j", "0xA4093822", "0x299F31D0"]


def _plain(text):
    return " ".join(text.replace("``", "`").replace("`", "").split())


def test_contract_and_package_docstring_agree():
    contract = _plain(CONTRACT.read_text(encoding="utf-8"))
    summary = _plain(fastinit.__doc__)
    assert "docs/contract.md" in summary, "the package docstring must point to the full text"
    for term in CONTRACT_TERMS:
        assert term in contract, f"docs/contract.md lacks {term!r}"
        assert term in summary, f"fastinit's docstring lacks {term!r}"


# docs/api/<page>.rst documents each public module
API_PAGES = {"fastinit": "fastinit", "fastinit.torch": "torch", "fastinit.keras": "keras",
             "fastinit.jax": "jax", "fastinit.checkpoint": "checkpoint",
             "fastinit.diagnose": "diagnose"}


def _source(module):
    path = ROOT.joinpath(*module.split("."))
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py"))


def public_names(module):
    """The module's ``__all__``, read from its source (no import: torch, jax...).

    A module without ``__all__`` exports its top-level public functions and
    classes and its explicit ``from x import y as y`` re-exports.
    """
    tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                                for t in node.targets):
            return list(ast.literal_eval(node.value))
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.ImportFrom):
            names += [a.asname for a in node.names if a.asname == a.name]
    return [n for n in names if not n.startswith("_")]


def test_public_names_reads_all_and_reexports():
    assert public_names("fastinit") == fastinit.__all__
    assert {"write", "verify", "is_complete", "PlanRow"} <= set(public_names("fastinit.checkpoint"))
    assert "_plan" not in public_names("fastinit.checkpoint")


def test_every_public_module_has_an_api_page():
    import pkgutil

    public = {f"fastinit.{m.name}" for m in pkgutil.iter_modules(fastinit.__path__)
              if not m.name.startswith("_")} - {"fastinit.initializers", "fastinit.matrices"}
    assert public | {"fastinit"} == set(API_PAGES)  # initializers, matrices: via fastinit
    for page in API_PAGES.values():
        assert (ROOT / "docs" / "api" / f"{page}.rst").is_file(), page


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """The docs site, built as CI builds it (offline, warnings are errors)."""
    for module in ("sphinx", "numpydoc", "myst_parser", "pydata_sphinx_theme"):
        require(module)
    out = tmp_path_factory.mktemp("docs")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / "doctrees"), str(ROOT / "docs"), str(out / "html")],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=path), capture_output=True, text=True,
        timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-10000:]
    return out / "html"


def documented_objects(objects_inv):
    """Python objects in a Sphinx inventory (objects.inv, version 2: four header
    lines, then zlib-compressed lines ``name domain:role priority uri dispname``)."""
    import zlib

    data = objects_inv.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    assert data.startswith(b"# Sphinx inventory version 2"), data[:40]
    lines = zlib.decompress(data[header_end:]).decode("utf-8").splitlines()
    return {line.split(" ", 2)[0] for line in lines if line.split(" ", 2)[1].startswith("py:")}


def test_docs_build_without_a_warning(built_docs):
    pages = {p.relative_to(built_docs).as_posix() for p in built_docs.rglob("*.html")}
    assert {"index.html", "contract.html", "performance.html", "contributing.html",
            "guide/numpy.html", "guide/torch.html", "guide/checkpoints.html",
            "guide/keras_jax.html", "guide/choosing.html", "api/fastinit.html"} <= pages


@pytest.mark.parametrize("module", list(API_PAGES))
def test_api_reference_documents_every_public_name(built_docs, module):
    documented = documented_objects(built_docs / "objects.inv")
    assert module in documented
    missing = [n for n in public_names(module) if f"{module}.{n}" not in documented]
    assert missing == [], f"docs/api/{API_PAGES[module]}.rst does not document {missing}"


@pytest.mark.parametrize("name", SPECIALIZATIONS)
def test_named_initializers_are_plain_functions_a_reader_can_grep(name):
    func = inspect.unwrap(getattr(fastinit, name))  # the torch-tensor adapter every fill has
    assert func.__code__.co_name == name
    source = inspect.getsource(func)
    assert re.search(rf"^def {name}\(out, \*, seed,", source, re.M)
