"""The floor plan stays readable: short files, few modules in any one folder.

A file over ``MAX_LINES`` lines holds more than one idea; a folder of more than
``MAX_MODULES`` modules hides its structure (split it into rooms of their own).
Generated files (the Cython build's ``constants.h``) are not counted.
"""

import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "fastinit"
MAX_LINES = 400
MAX_MODULES = 13  # "about 12" modules; __init__.py and subpackages not counted
SOURCES = (".py", ".pyx", ".pxd", ".h")
GENERATED = {"constants.h"}


def _sources():
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in SOURCES
                  and p.name not in GENERATED and "__pycache__" not in p.parts)


def _folders():
    return sorted({p.parent for p in _sources()})


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_file_is_short(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines"


@pytest.mark.parametrize("folder", _folders(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_every_folder_has_few_modules(folder):
    modules = sorted(p.name for p in folder.iterdir() if p.suffix in (".py", ".pyx")
                     and p.name != "__init__.py")
    assert len(modules) <= MAX_MODULES, modules
