"""``python -m fastinit check-model``: the table, the closing note, bad input, the checks.

The checks must be able to fail: a wrong std, a constant, a padding row or a
tie that differs from ``Model(config)`` is found. ``test_fixed_sample_is_equal``
runs the sample CI runs (``--sample``: for each distinct ``_init_weights``
implementation, the first class in name order, built from a tiny config of at
most 5M parameters; about 2.5 minutes on 2 cores); the whole sweep is
``python -m fastinit check-model --all --jobs 2`` (docs/contributing.md).
"""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import require

torch = require("torch")
transformers = require("transformers")

from fastinit._cli import check_model, model_check  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "fastinit", "check-model", *args],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          cwd=ROOT)


def test_model_types_print_a_table_and_a_closing_note():
    res = run("llama", "bert", "--kinds", "causal-lm,masked-lm")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split()[:3] == ["model", "type", "class"]
    assert any(line.split()[:2] == ["llama", "LlamaForCausalLM"] and " equal " in line
               for line in lines)
    assert any(line.split()[:2] == ["bert", "BertForMaskedLM"] for line in lines)
    assert "3 of 3 built equal" in lines[-1]  # LlamaForCausalLM, BertLMHeadModel, ForMaskedLM


def test_an_unknown_model_type_is_named_with_the_nearest_ones(capsys):
    assert check_model.main(["lama"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MODEL_TYPE must be a model type transformers knows, got "
                          "'lama'; nearest: llama")
    assert err.count("\n") == 1
    assert len(err.split("nearest: ")[1].split(", ")) <= 5  # not the whole list


def test_a_model_type_without_a_class_of_the_kinds_is_refused(capsys):
    assert check_model.main(["bert", "--kinds", "seq2seq"]) == 2
    assert "MODEL_TYPE must have a seq2seq class in transformers, got 'bert'" in \
        capsys.readouterr().err


def test_an_architecture_too_large_for_a_small_config_is_skipped_with_the_reason():
    found = model_check.check("llama", "LlamaForCausalLM", limit=1000)
    assert found["status"] == "skipped"
    assert "parameters at its smallest" in found["detail"]
    assert "1 skipped" in check_model.summary([{**found, "class": "LlamaForCausalLM"}])


def test_summary_counts_each_outcome():
    rows = [{"class": "A", "status": "equal"}, {"class": "B", "status": "clear error"},
            {"class": "C", "status": "skipped"}, {"class": "D", "status": "differs"}]
    assert check_model.summary(rows) == ("1 of 3 built equal; 1 raise a clear error (B); "
                                         "1 differs; 1 skipped (cannot be built from a small "
                                         "config, or too large)")


def refs(*tensors):
    return [torch.tensor(t, dtype=torch.float32) for t in tensors]


def draws(seed, n=4096, std=1.0):
    return torch.from_numpy(np.random.default_rng(seed).normal(0, std, n).astype(np.float32))


def test_compare_finds_a_wrong_std_and_accepts_the_right_one():
    three = [draws(s) for s in range(3)]
    assert model_check.compare_tensor(three, draws(9)) is None
    assert "std" in model_check.compare_tensor(three, draws(9, std=1.2))


def test_compare_finds_a_wrong_distribution_with_the_right_std():
    # uniform against normal draws of the same std: KS D ~ 0.03, p ~ 1e-40 at 100k draws
    three = [draws(s, n=100_000) for s in range(3)]
    uniform = torch.from_numpy(np.random.default_rng(9).uniform(-3**0.5, 3**0.5, 100_000)
                               .astype(np.float32))
    assert "KS" in model_check.compare_tensor(three, uniform)


def test_compare_finds_constants_and_zero_rows():
    assert model_check.compare_tensor(refs([1.0, 2.0], [1.0, 2.0], [1.0, 2.0]),
                                      torch.tensor([1.0, 2.5])) is not None
    padded = [torch.cat([torch.zeros(1, 64), draws(s).reshape(64, 64)[1:]]) for s in range(3)]
    ours = draws(9).reshape(64, 64)
    assert "computed element(s) differ" in model_check.compare_tensor(padded, ours)
    ours[0] = 0
    assert model_check.compare_tensor(padded, ours) is None


def test_compare_finds_nan_left_in_memory():
    three = [draws(s) for s in range(3)]
    ours = draws(9)
    ours[5] = float("nan")
    assert "not finite" in model_check.compare_tensor(three, ours)


def test_ks_pvalue_agrees_with_scipy():
    stats = require("scipy.stats")
    rng = np.random.default_rng(0)
    for a, b in [(rng.normal(size=500), rng.normal(size=1500)),
                 (rng.normal(size=300), rng.normal(0.3, size=900))]:
        ours, theirs = model_check.ks_pvalue(a, b), stats.ks_2samp(a, b).pvalue
        assert ours == pytest.approx(theirs, rel=0.2, abs=1e-12)  # asymptotic against exact


def test_a_broken_tie_is_found(monkeypatch):
    import fastinit.torch as fit

    real = fit.init_module

    def untied(module, **kwargs):
        real(module, **kwargs)
        with torch.no_grad():
            module.lm_head.weight = torch.nn.Parameter(module.lm_head.weight.clone())
        return module

    monkeypatch.setattr(fit, "init_module", untied)
    found = model_check.check("gpt2", "GPT2LMHeadModel", forward=False)
    assert found["status"] == "differs"
    assert found["detail"].startswith("ties")


def test_fixed_sample_is_equal():
    res = run("--sample", "--jobs", "2", "--timeout", "300", timeout=1800)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-2000:]
    note = res.stdout.splitlines()[-1]
    equal, built = (int(n) for n in re.match(r"(\d+) of (\d+) built equal", note).groups())
    assert equal == built >= 200, note
    assert " differs" not in res.stdout
    assert " failed " not in res.stdout
