"""python -m fastinit bench --model: the whole-model comparison on a small model."""

from conftest import require

torch = require("torch")
require("transformers")

import fastinit.torch as fit  # noqa: E402
from fastinit import _cli  # noqa: E402
from fastinit._cli.bench import torch_models  # noqa: E402


def test_bench_model_prints_every_row_side_by_side(capsys):
    status = _cli.main(["bench", "--model", "3e6", "--dtype", "float32", "--threads", "1",
                        "--repeats", "2"])
    out = capsys.readouterr().out
    assert status == 0
    for label in ("fastinit.torch.init_module(rules='hf')",
                  "fastinit.torch.init_module(rules=('torch', 'hf'))",
                  "reset_parameters() on every module",
                  "trunc_normal_ on every matrix", "LlamaForCausalLM(config)",
                  "fastinit.random_normal_ on one flat buffer", "in fastinit.torch.patched",
                  "peak resident set beyond the model"):
        assert label in out, label
    for label in ("init_module(rules='hf')", "init_module(rules=('torch', 'hf'))"):
        row = next(line for line in out.splitlines() if label in line)
        assert row.split(label)[1].split()[0] == "2"  # runs: --repeats


def test_bench_model_refuses_a_size_below_one(capsys):
    assert _cli.main(["bench", "--model", "0"]) == 2
    assert "--model" in capsys.readouterr().err


def test_bench_model_divides_each_row_by_the_fastinit_row_of_its_distributions():
    seconds = {"init": 1.0, "init_torch": 2.0, "reset": 10.0, "trunc": 30.0, "raw": 0.5,
               "hf": 4.0, "patched": 3.0}
    rows = [{"dtype": "float32", "row": key, "label": torch_models.LABELS[key], "runs": 1,
             "seconds": s,
             "samples": 10**9, "extra_mib": 0.0 if key == "init" else None}
            for key, s in seconds.items()]
    lines = torch_models.format_table(rows).splitlines()
    ends = [lines[0].index(h) + len(h) for h in ("/ init hf", "/ init torch")]
    columns = [tuple(line[end - 12:end].strip() for end in ends) for line in lines[1:8]]
    assert columns == [("1.0", ""), ("", "1.0"), ("", "5.0"), ("30.0", ""), ("0.5", ""),
                       ("4.0", ""), ("3.0", "")]


def _quantile(t, q):
    return torch.quantile(t.flatten().abs().float(), q).item()


def test_the_init_torch_row_draws_what_reset_parameters_draws():
    config = torch_models.llama_config(3e6)
    ours = torch_models.materialized(config, torch.float32)
    theirs = torch_models.materialized(config, torch.float32)
    fit.init_module(ours, seed=0, rules=torch_models.TORCH_RULES)
    torch.manual_seed(0)
    torch_models.reset_every_module(theirs)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(),
                            strict=True):
        if "norm" in name:  # LlamaRMSNorm has no reset_parameters: transformers' ones
            assert a.eq(1).all(), name
            assert b.eq(0).all(), name  # as materialized() left it
            continue
        assert a.numel() >= 65536, name  # each quantile within 5% at > 6 sigma
        for q in (0.5, 0.9, 0.99):
            assert abs(_quantile(a, q) / _quantile(b, q) - 1) < 0.05, (name, q)
