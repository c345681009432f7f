"""setup.py: constants.h written from constants.py, the key that lets an unchanged
tree reuse its compiled kernels, and the skip with MSVC. Nothing is compiled here."""

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from setuptools import Distribution

from fastinit._engine import constants

ROOT = Path(__file__).resolve().parents[1]
SCALAR = re.compile(r"^static const double (\w+) = (\S+);", re.M)
ARRAY = re.compile(r"^static const double (\w+)\[(\d+)\] = \{(.*?)\};", re.M | re.S)
TYPED = re.compile(r"^static const (u?int\d+_t) (\w+) = U?INT\d+_C\((-?0x[0-9a-f]+)\);", re.M)
ENUM = re.compile(r"^enum \{ (\w+) = (-?\d+) \};", re.M)


@pytest.fixture(scope="module")
def setup_py():
    spec = importlib.util.spec_from_file_location("fastinit_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: setup() does not run
    return module


def numeric_constants():
    return {k: v for k, v in vars(constants).items()
            if not k.startswith("_") and isinstance(v, (int, float, tuple))}


def test_header_holds_every_numeric_constant_exactly(setup_py):
    text = setup_py.constants_header(ROOT / setup_py.CONSTANTS_PY)
    seen = {name: float.fromhex(v) for name, v in SCALAR.findall(text)}
    for name, n, body in ARRAY.findall(text):
        seen[name] = tuple(float.fromhex(x) for x in re.findall(r"(-?0x[0-9a-f.p+-]+),", body))
        assert len(seen[name]) == int(n), name
    for ctype, name, value in TYPED.findall(text):
        assert setup_py.C_TYPES[name] == ctype, name
        seen[name] = int(value, 16)
    seen.update((name, int(value)) for name, value in ENUM.findall(text))
    assert seen == numeric_constants()  # floats compared exactly: hex floats round-trip
    assert "STREAM_HASH_PERSON" not in text


def test_header_refuses_what_c_cannot_hold(tmp_path, setup_py):
    path = tmp_path / "constants.py"
    path.write_text("MASK32 = 2**64\n")
    with pytest.raises(ValueError, match="MASK32 must fit a C uint64_t, got 18446744073709551616"):
        setup_py.constants_header(path)
    path.write_text("X = float('inf')\n")
    with pytest.raises(ValueError, match="constant must be a finite float, got inf"):
        setup_py.constants_header(path)


# --- reuse of an unchanged build -----------------------------------------------------
@pytest.fixture
def tree(tmp_path, monkeypatch, setup_py):
    """A copy of the kernel sources; setup.py works on it."""
    shutil.copytree(ROOT / setup_py.SRC, tmp_path / setup_py.SRC,
                    ignore=shutil.ignore_patterns("*.so", "*.c", "constants.h", "__pycache__"))
    shutil.copy(ROOT / setup_py.CONSTANTS_PY, tmp_path / setup_py.CONSTANTS_PY)
    monkeypatch.setattr(setup_py, "HERE", str(tmp_path))
    monkeypatch.delenv("FASTINIT_CYTHON_DEBUG", raising=False)
    # Cython is a build requirement, not a test one: the key reads only its version
    monkeypatch.setitem(sys.modules, "Cython", SimpleNamespace(__version__="3.1.0"))
    setup_py.write_constants_header()
    return tmp_path


def command(setup_py, tree):
    """BuildExt for the kernel modules, with a compiler that only answers questions."""
    cmd = setup_py.BuildExt(Distribution({"name": "x", "ext_modules": setup_py.extensions()}))
    cmd.initialize_options()
    cmd.build_lib = str(tree / "lib")
    cmd.finalize_options()
    cmd.compiler = SimpleNamespace(compiler_type="unix", compiler_so=["cc", "-O2"],
                                   linker_so=["cc", "-shared"], include_dirs=[], library_dirs=[],
                                   macros=[])
    ext = cmd.extensions[0]
    ext.extra_compile_args = list(setup_py.BASE_FLAGS)
    ext.depends = setup_py.kernel_sources()
    return cmd, ext


def test_build_key_changes_with_every_input(tree, monkeypatch, setup_py):
    cmd, ext = command(setup_py, tree)
    key = cmd.build_key(ext)
    assert cmd.build_key(ext) == key
    src = tree / setup_py.SRC
    edits = [
        lambda: (tree / setup_py.CONSTANTS_PY).write_text(
            (tree / setup_py.CONSTANTS_PY).read_text().replace("CHUNK_BLOCKS = 2048",
                                                               "CHUNK_BLOCKS = 1024")),
        setup_py.write_constants_header,
        lambda: (src / "truncated.pxd").write_text((src / "truncated.pxd").read_text() + "\n"),
        lambda: (src / "philox_simd.h").write_text((src / "philox_simd.h").read_text() + "\n"),
        lambda: (src / "kernels.pyx").write_text((src / "kernels.pyx").read_text() + "\n"),
        lambda: ext.extra_compile_args.append("-march=x86-64-v2"),
        lambda: cmd.compiler.compiler_so.append("-DNDEBUG"),  # CFLAGS
        lambda: monkeypatch.setenv("FASTINIT_CYTHON_DEBUG", "1"),
        lambda: monkeypatch.setattr(sys.modules["Cython"], "__version__", "3.2.0"),
    ]
    seen = {key}
    for edit in edits:
        edit()
        seen.add(cmd.build_key(ext))
    assert len(seen) == len(edits) + 1


def test_an_unchanged_module_is_copied_a_changed_one_built(tree, setup_py):
    cmd, ext = command(setup_py, tree)
    cmd._keys = {ext.name: cmd.build_key(ext)}
    so = Path(cmd.inplace_path(ext))
    assert not cmd.up_to_date(ext)  # never built
    so.write_bytes(b"module")
    cmd.write_stamp(ext)
    assert cmd.up_to_date(ext)
    cmd._built = []
    cmd.build_extension(ext)
    assert Path(cmd.get_ext_fullpath(ext.name)).read_bytes() == b"module"
    so.write_bytes(b"another module")  # replaced by hand, or by another build
    assert not cmd.up_to_date(ext)
    so.write_bytes(b"module")
    cmd._keys[ext.name] = "another key"
    assert not cmd.up_to_date(ext)


def test_msvc_skips_the_extension_with_a_message(tree, capsys, setup_py):
    cmd, _ = command(setup_py, tree)
    cmd.compiler = SimpleNamespace(compiler_type="msvc")
    cmd.build_extensions()
    assert cmd.extensions == []
    assert "skipping them with MSVC" in capsys.readouterr().err
