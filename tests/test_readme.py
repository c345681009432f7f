"""The README and the docs' guides as a new user runs them.

Every ```python block of README.md and of the Markdown pages in docs/ runs,
every `python -m fastinit` command line they show parses, every `pip install`
names existing extras, every relative link resolves; the README's two commands
are the ones CI runs; the architecture page's layout names every module.
"""

import linecache
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest
from conftest import require

from fastinit import _cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
# the pages a reader runs code from: the README and the Markdown sources of the site
PAGES = [README, *sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)]
TEXT = {page: page.read_text(encoding="utf-8") for page in PAGES}


def _name(page):
    return page.relative_to(ROOT).as_posix()


def _blocks(text, language):
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


PYTHON_BLOCKS = [(_name(page), i, code) for page in PAGES
                 for i, code in enumerate(_blocks(TEXT[page], "python"))]
SHELL = "\n".join(block for page in PAGES for lang in ("bash", "sh")
                  for block in _blocks(TEXT[page], lang))
# every `python -m fastinit ...` command line, in shell blocks or inline code (which may
# wrap), except those with a placeholder such as COMMAND
_INLINE = [" ".join(code.split()) for page in PAGES
           for code in re.findall(r"(?<!`)`([^`]+)`(?!`)", TEXT[page])]
COMMANDS = sorted({m for text in [*_INLINE, *SHELL.splitlines()]
                   for m in re.findall(r"python -m fastinit(?: [^&|;#]*)?", text)
                   if not re.search(r"\b[A-Z]{4,}\b", m)})
PIP_INSTALLS = sorted({m.strip() for page in PAGES
                       for m in re.findall(r"pip install [^`\n&|;#]*", TEXT[page])})
# frameworks whose import pins process-wide state (Keras's backend, JAX's threads):
# their blocks run in a fresh interpreter, as the framework tests do
SUBPROCESS = ("keras", "jax")
OPTIONAL = ("torch", "transformers", "keras", "jax", "sklearn", "matplotlib")


def test_the_pages_have_examples_to_check():
    # the extraction below can fail: pages without them would pass every test
    pages = {name for name, _, _ in PYTHON_BLOCKS}
    assert {"README.md", "docs/guide/numpy.md", "docs/guide/torch.md",
            "docs/guide/checkpoints.md", "docs/guide/keras_jax.md",
            "docs/guide/choosing.md"} <= pages
    assert len(PYTHON_BLOCKS) >= 15
    assert len(COMMANDS) >= 8
    assert PIP_INSTALLS


def _imports(code):
    return {m for m in re.findall(r"^\s*(?:import|from)\s+(\w+)", code, re.M)}


@pytest.mark.parametrize(("page", "index", "code"), PYTHON_BLOCKS,
                         ids=[f"{page}:block{i}" for page, i, _ in PYTHON_BLOCKS])
def test_python_block_runs(page, index, code, tmp_path, monkeypatch):
    for module in sorted(_imports(code) & set(OPTIONAL)):
        require(module, load=module not in SUBPROCESS)  # those never imported here
    monkeypatch.chdir(tmp_path)  # a block that writes a file writes it here
    if _imports(code) & set(SUBPROCESS):
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, timeout=600,
                              env=dict(os.environ, PYTHONPATH=path),
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{page} block {index}:\n{proc.stderr[-5000:]}"
    else:
        filename = f"{page} (block {index})"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        exec(compile(code, filename, "exec"), {"__name__": "__docs__"})  # tracebacks show it


@pytest.mark.parametrize("line", COMMANDS)
def test_command_line_parses(line, monkeypatch):
    monkeypatch.chdir(ROOT)  # output paths such as docs/img/ are relative to the checkout
    argv = shlex.split(line)[3:]
    name = argv.pop(0) if argv and argv[0] in _cli.COMMANDS else _cli.DEFAULT
    if "--help" in argv or "-h" in argv:
        assert _cli.main(argv if name == _cli.DEFAULT else [name, *argv]) == 0
    else:
        _cli.command(name).parser().parse_args(argv)  # a bad option exits with status 2


def test_ci_runs_the_readme_test_command_and_skips_nothing():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command = ci[ci.index("# --- the README's test command, verbatim ---") + 1]
    assert command in SHELL.splitlines()
    assert "pytest" in command
    assert "--require-all" in command.split()  # a missing optional dependency fails CI


def _extras():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+)\s*=", section, re.M))


def test_extras_parser_reads_pyproject():
    assert {"test", "diagnose", "docs"} <= _extras()


@pytest.mark.parametrize("line", PIP_INSTALLS)
def test_every_install_works_from_the_checkout(line):
    # the distribution is not on a package index: fastinit installs from the checkout only
    assert "fastinit-weights" not in line, line
    for extra_list in re.findall(r"\.\[([\w,-]+)\]", line):
        assert set(extra_list.split(",")) <= _extras(), line


def test_the_docs_extra_is_in_the_test_extra():
    # CI installs .[test] and builds the docs: the test extra must hold what the build needs
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    def extra(name):
        body = re.search(rf"^{name}\s*=\s*\[(.*?)\]", text, re.S | re.M).group(1)
        return set(re.findall(r'"([^"]+)"', body))

    assert extra("docs")
    assert extra("docs") <= extra("test")


def _ci_commands():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_readme_runs_the_test_command_ci_runs():
    test_command = [line for line in _ci_commands() if "pytest -n" in line]
    assert len(test_command) == 1, test_command
    assert test_command[0] + "\n" in _blocks(TEXT[README], "bash")


def test_readme_runs_the_main_job_on_defaults():
    main_job = [b for b in _blocks(TEXT[README], "bash")
                if re.search(r"python -m fastinit\n", b)]
    assert main_job == ["python3 -m venv .venv && .venv/bin/pip install -e . && "
                        ".venv/bin/python -m fastinit\n"]


def test_ci_builds_the_docs_strictly():
    build = [line for line in _ci_commands() if "sphinx" in line]
    assert len(build) == 1, build
    assert re.search(r"python -m sphinx -W --keep-going -b html docs docs/_build/html$",
                     build[0].strip()), build
    assert "docs/_build/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_readme_is_a_front_page_not_a_manual():
    # the manual lives in docs/; the README introduces, shows and links
    assert len(TEXT[README].splitlines()) <= 200


def _links(text):
    return [target for target in re.findall(r"\]\(([^)\s]+)\)", text)
            if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_resolve(page):
    for target in _links(TEXT[page]):
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"{_name(page)} links to missing {target}"


def test_readme_links_every_page_of_the_site():
    linked = {(ROOT / target.split("#", 1)[0]).resolve() for target in _links(TEXT[README])}
    pages = {p.resolve() for p in [*DOCS.glob("*.md"), *DOCS.glob("guide/*.md"),
                                   DOCS / "api" / "index.md"]}
    assert sorted(map(str, pages - linked)) == []


def _layout():
    text = TEXT[DOCS / "contributing.md"]
    return text.split("\n## Layout", 1)[1].split("\n## ", 1)[0]


def test_layout_names_every_module_of_the_package_and_the_applications():
    listed = set(re.findall(r"[\w.]+\.py\b", _layout()))
    package = ROOT / "fastinit"
    folders = [package, *(p for p in package.rglob("*") if p.is_dir() and p.name != "__pycache__"
                          and p.name not in ("_numba", "_cython"))]
    for folder in folders:
        missing = sorted(p.name for p in folder.glob("*.py") if p.name not in listed)
        assert missing == [], f"docs/contributing.md's Layout misses {missing} in {folder.name}/"


def test_layout_names_every_top_level_folder():
    layout = _layout()
    for folder in ("fastinit", "tests", "bench", "tools", "docs", "examples"):
        assert re.search(rf"^{folder}/", layout, re.M), folder
