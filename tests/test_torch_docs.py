"""fastinit.torch's documentation: Parameters sections match signatures, examples run,
the PyTorch guide names the whole module."""

import doctest
import inspect
import pathlib
import re

import pytest
from conftest import require

require("torch")

from test_docs import documented_parameters  # noqa: E402

import fastinit.torch as fit  # noqa: E402

FUNCTIONS = [n for n in fit.__all__ if inspect.isfunction(getattr(fit, n))]
GUIDE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "guide" / "torch.md"


def test_torch_nn_init_names_are_all_there():
    import torch

    public = {n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")}
    assert public <= set(fit.__all__) | {"normal", "uniform", "constant", "xavier_uniform",
                                         "xavier_normal", "kaiming_uniform", "kaiming_normal",
                                         "eye", "dirac", "orthogonal", "sparse"}
    assert "calculate_gain" in fit.__all__


@pytest.mark.parametrize("name", FUNCTIONS)
def test_parameters_section_follows_the_signature(name):
    func = getattr(fit, name)
    expected = [p for p in inspect.signature(func).parameters]
    assert documented_parameters(func.__doc__ or "") == expected
    assert "%(" not in func.__doc__


@pytest.mark.parametrize("name", [*fit.PATCHED, "calculate_gain"])
def test_drop_ins_take_torchs_positional_parameters_and_defaults_in_order(name):
    import torch

    theirs = [(p.name, p.default) for p in
              inspect.signature(getattr(torch.nn.init, name)).parameters.values()]
    ours = [(p.name, p.default) for p in inspect.signature(getattr(fit, name)).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert ours == theirs


def test_doctests_of_fastinit_torch_pass():
    finder = doctest.DocTestFinder()
    tests = finder.find(fit, "fastinit.torch", globs={})
    for name in fit.__all__:
        tests += finder.find(getattr(fit, name), f"fastinit.torch.{name}", globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    failures, attempted = runner.summarize(verbose=False)
    assert failures == 0
    assert attempted >= 20


def test_pytorch_guide_names_every_public_name():
    text = GUIDE.read_text(encoding="utf-8")
    missing = [name for name in fit.__all__
               if not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)]
    assert missing == []


def test_pytorch_guide_shows_the_drop_ins_positional_defaults():
    # "uniform_(t, a=0, b=1)": each default shown in the guide is torch's (and ours)
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    shown = re.findall(r"`(\w+_)\(t, ([^`)]*)\)`", text)
    assert len(shown) >= 8, shown
    for name, args in shown:
        params = inspect.signature(getattr(fit, name)).parameters
        for arg in args.split(", "):
            if "=" in arg:
                param, default = arg.split("=", 1)
                assert params[param].default == eval(default), (name, param)  # noqa: S307
