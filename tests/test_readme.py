"""The README as a new user runs it: every Python block, every command line, every install."""

import pathlib
import re
import shlex

import pytest

from fastinit import _cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.S | re.M)


PYTHON_BLOCKS = _blocks("python")
SHELL = "\n".join(_blocks("bash") + _blocks("sh"))
# every `python -m fastinit ...` command line, in shell blocks or inline code (which may
# wrap), except those with a placeholder such as COMMAND
_INLINE = [" ".join(code.split()) for code in re.findall(r"(?<!`)`([^`]+)`(?!`)", README)]
COMMANDS = sorted({m for text in [*_INLINE, *SHELL.splitlines()]
                   for m in re.findall(r"python -m fastinit(?: [^&|;]*)?", text)
                   if not re.search(r"\b[A-Z]{4,}\b", m)})
PIP_INSTALLS = re.findall(r"pip install [^`\n&|;]*", README)


def test_the_readme_has_examples_to_check():
    # the extraction below can fail: a README without them would pass every test
    assert PYTHON_BLOCKS
    assert len(COMMANDS) >= 4
    assert PIP_INSTALLS


@pytest.mark.parametrize("code", PYTHON_BLOCKS,
                         ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_block_runs(code):
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})


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
    assert {"test", "diagnose"} <= _extras()


@pytest.mark.parametrize("line", PIP_INSTALLS)
def test_every_install_works_from_the_checkout(line):
    # the distribution is not on a package index: fastinit installs from the checkout only
    assert "fastinit-weights" not in line, line
    for extra_list in re.findall(r"\.\[([\w,-]+)\]", line):
        assert set(extra_list.split(",")) <= _extras(), line


def test_layout_names_every_module_of_the_package_and_the_applications():
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"[\w.]+\.py\b", layout))
    package = ROOT / "fastinit"
    folders = [package, *(p for p in package.rglob("*") if p.is_dir() and p.name != "__pycache__"
                          and p.name not in ("_numba", "_cython"))]
    for folder in folders:
        missing = sorted(p.name for p in folder.glob("*.py") if p.name not in listed)
        assert missing == [], f"README's Layout does not name {missing} in {folder.name}/"
