"""Documentation: Parameters sections match signatures, examples run, the README names the API.

Every public function has a numpydoc docstring whose Parameters section names
its signature's parameters in order, and Returns and Examples sections.
"""

import doctest
import inspect
import pathlib
import re

import pytest
from cases import SPECIALIZATIONS

import fastinit
import fastinit.initializers

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
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


def test_readme_names_every_public_name():
    assert README.is_file(), f"{README} does not exist yet"
    text = README.read_text(encoding="utf-8")
    missing = [name for name in fastinit.__all__
               if not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)
               and f"fastinit.{name}" not in text]
    assert missing == []


def _readme_signatures():
    """``name -> {param: default text or None}`` for each ``name(out, *, ...)`` in the API table."""
    text = README.read_text(encoding="utf-8")
    rows = {}
    for name, args in re.findall(r"^\| `(\w+_)\(out, \*, ([^`]*)\)`", text, re.M):
        parts = [a.strip() for a in re.split(r",\s*(?![^()]*\))", args)]
        rows[name] = {p.split("=")[0]: (p.split("=", 1)[1] if "=" in p else None)
                      for p in parts}
    return rows


def test_readme_api_signatures_show_every_default():
    rows = _readme_signatures()
    assert {"random_uniform_", "random_normal_", "truncated_normal_",
            "variance_scaling_"} <= set(rows)
    for name, shown in rows.items():
        params = inspect.signature(getattr(fastinit, name)).parameters
        for param, default in shown.items():
            expected = params[param].default
            if expected is inspect.Parameter.empty:
                assert default is None, (name, param)
            else:
                assert default is not None, f"README shows {name}({param}) without its default"
                assert eval(default) == expected, (name, param)  # noqa: S307 - README literals


def test_readme_documents_every_n_threads_value():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("**Threads.**"):]
    section = " ".join(section[:section.index("\n\n")].split())
    for phrase in ("`n_threads=None`", "affinity", "`-1`", "`-k`", "`k - 1`",
                   "more than there are cores", "`0` is a `ValueError`"):
        assert phrase in section, phrase


@pytest.mark.parametrize("name", SPECIALIZATIONS)
def test_named_initializers_are_plain_functions_a_reader_can_grep(name):
    func = getattr(fastinit, name)
    assert func.__code__.co_name == name
    source = inspect.getsource(func)
    assert re.search(rf"^def {name}\(out, \*, seed,", source, re.M)
