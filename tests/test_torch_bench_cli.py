"""python -m fastinit bench --model: the whole-model comparison on a small model."""

from conftest import require

require("torch")
require("transformers")

from fastinit import _cli  # noqa: E402


def test_bench_model_prints_every_row_side_by_side(capsys):
    status = _cli.main(["bench", "--model", "3e6", "--dtype", "float32", "--threads", "1",
                        "--repeats", "2"])
    out = capsys.readouterr().out
    assert status == 0
    for label in ("fastinit.torch.init_module(rules='hf')", "reset_parameters() on every module",
                  "trunc_normal_ on every matrix", "LlamaForCausalLM(config)",
                  "fastinit.random_normal_ on one flat buffer", "in fastinit.torch.patched",
                  "peak resident set beyond the model"):
        assert label in out, label
    init_row = next(line for line in out.splitlines() if "init_module(rules='hf')" in line)
    assert init_row.split()[2] == "2"  # runs: --repeats


def test_bench_model_refuses_a_size_below_one(capsys):
    assert _cli.main(["bench", "--model", "0"]) == 2
    assert "--model" in capsys.readouterr().err


