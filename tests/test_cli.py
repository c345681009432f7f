"""``python -m fastinit``: the command list, one clean error per bad option, missing extras."""

import pathlib
import subprocess
import sys

import pytest

from fastinit import _cli

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _python_m(*args, prelude="", timeout=300):
    """Run ``python -m fastinit ARGS`` in a fresh interpreter, after `prelude` if given."""
    code = (f"{prelude}\nimport runpy, sys\nsys.argv = ['fastinit', *{list(args)!r}]\n"
            "runpy.run_module('fastinit', run_name='__main__', alter_sys=True)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=ROOT)


def test_help_lists_every_command_with_one_line():
    res = _python_m("--help")
    assert res.returncode == 0, res.stderr
    for name, text in _cli.COMMANDS.items():
        assert f"  {name}  " in res.stdout.replace(f"  {name} ", f"  {name}  ")
        assert text in res.stdout
        assert "\n" not in text


@pytest.mark.parametrize("name", list(_cli.COMMANDS))
def test_every_command_has_parser_main_and_help(name, capsys):
    module = _cli.command(name)
    assert module.parser().prog.startswith("python -m fastinit")
    assert module.main(["--help"]) == 0
    assert "usage:" in capsys.readouterr().out


def test_unknown_command_is_one_clean_error(capsys):
    assert _cli.main(["bnech"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: unknown command 'bnech'")


# every option that takes a value, given a value no command accepts
BAD_OPTIONS = {
    "init": [["--threads", "0"], ["--params", "nan"], ["--layers", "-1"], ["--seed", "x"],
             ["--dtype", "int8"], ["--backend", "gpu"], ["--params", "1e15"]],
    "bench": [["--size", "1000"], ["--size", "2**x"], ["--repeats", "0"], ["--threads", "0"],
              ["--row-budget", "-1"], ["--row-budget", "nan"], ["--dtype", "int8"],
              ["--workload", "x"], ["--peers", "x"], ["--backend", "x"], ["--seed", "-1"],
              ["--json", "/no/such/dir/r.json"], ["--size", "2**50"]],
    "diagnose": [["--depth", "0"], ["--width", "2.5"], ["--batch-size", "0"], ["--seed", "-1"],
                 ["--initializers", "xavier"], ["--activations", "gelu"], ["--activations", ""],
                 ["--plot", "/no/such/dir/d.png"], ["--width", str(2**30)]],
    "compare": [["--experiments", "resnet"], ["--initializers", "x"], ["--epochs", "0"],
                ["--batch-size", "0"], ["--optimizer", "rmsprop"], ["--lr", "-1"],
                ["--lr", "nan"], ["--width", "0"], ["--deep-layers", "0"],
                ["--seed", str(2**64)], ["--plot", "/no/such/dir/c.png"],
                ["--width", str(2**30)],
                ["--batch-size", "5000", "--epochs", "1", "--experiments", "article",
                 "--initializers", "zeros"]],
    "check-model": [["lama"], [], ["--jobs", "0"], ["--timeout", "x"], ["--kinds", "x"],
                    ["--seed", "-1"], ["--json", "/no/such/dir/r.json"], ["llama", "--all"],
                    ["--all", "--sample"], ["--sample-every", "0"]],
}


@pytest.mark.parametrize(("name", "bad"), [(n, b) for n, bads in BAD_OPTIONS.items()
                                           for b in bads])
def test_every_bad_option_is_one_clean_error(name, bad, capsys):
    assert _cli.main([name, *bad]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error: " in line]
    assert len(errors) == 1, err


def test_bad_option_through_python_m_has_no_traceback():
    res = _python_m("--threads", "0")
    assert res.returncode == 2
    assert "error: argument --threads: must be a non-zero integer" in res.stderr
    assert "Traceback" not in res.stderr


# A fresh interpreter in which these modules cannot be imported, as if never installed.
def _without(*modules):
    return "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)


@pytest.mark.parametrize(("args", "absent", "message"), [
    (["diagnose", "--plot", "d.png"], ["matplotlib"], "diagnose --plot needs matplotlib,"),
    (["compare"], ["sklearn"], "compare needs scikit-learn,"),
    (["compare"], ["sklearn", "matplotlib"], "compare needs scikit-learn,"),
    (["compare", "--plot", "c.png"], ["matplotlib"], "compare --plot needs matplotlib,"),
    (["compare", "--plot", "c.png"], ["sklearn", "matplotlib"],
     "compare --plot needs scikit-learn and matplotlib,"),
])
def test_missing_extra_is_one_line_naming_the_install(args, absent, message, tmp_path):
    res = _python_m(*[str(tmp_path / a) if a.endswith(".png") else a for a in args],
                    prelude=_without(*absent))
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""  # checked before any work, so nothing was printed
    assert res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith(f"error: {message} not installed")
    assert 'pip install -e ".[diagnose]"' in res.stderr
    assert not list(tmp_path.iterdir())


def test_diagnose_without_plot_needs_no_extra():
    res = _python_m("diagnose", "--depth", "2", "--width", "8", "--batch-size", "4",
                    "--initializers", "he_normal", "--activations", "relu",
                    prelude=_without("matplotlib", "sklearn"))
    assert res.returncode == 0, res.stderr
    assert "he_normal" in res.stdout


def test_output_cut_short_by_a_closed_pipe_is_quiet():
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-m', 'fastinit', 'diagnose', '--depth', '2',"
            " '--width', '8', '--batch-size', '4', '--no-progress'], stdout=subprocess.PIPE,"
            " stderr=subprocess.PIPE)\n"
            "p.stdout.readline(); p.stdout.close()\n"
            "sys.stderr.write(p.stderr.read().decode()); sys.exit(p.wait())")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False, cwd=ROOT)
    assert "Traceback" not in res.stderr
    assert "BrokenPipeError" not in res.stderr


def test_ctrl_c_is_one_line_and_status_130():
    prelude = ("import fastinit._cli.init as m\n"
               "def interrupted(args):\n    raise KeyboardInterrupt\n"
               "m._main = interrupted")
    res = _python_m("--params", "1e5", prelude=prelude)
    assert res.returncode == 130
    assert res.stderr == "interrupted\n"
