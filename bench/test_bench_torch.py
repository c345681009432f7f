"""Whole-model initialization: init_module against torch and transformers (small model).

``pytest bench/test_bench_torch.py --benchmark-only``: one group per dtype with
fastinit.torch.init_module (rules "hf", and ("torch", "hf"): reset_parameters'
distributions), the raw kernel on as many elements, torch's reset_parameters,
torch's trunc_normal_ and LlamaForCausalLM(config). The
1e9-parameter comparison in docs/performance.md is one run of
``python -m fastinit._cli.bench.torch_models`` (same rows, alternating rounds).
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import fastinit  # noqa: E402
import fastinit.torch as fit  # noqa: E402
from fastinit._cli.bench import torch_models  # noqa: E402

PARAMS = 4e6
DTYPES = ["float32", "bfloat16"]


@pytest.fixture(scope="module")
def config():
    return torch_models.llama_config(PARAMS)


def _bench(benchmark, dtype, label, run, samples, rounds=3):
    benchmark.group = f"llama {PARAMS:.0e} params {dtype}"
    benchmark.extra_info.update(samples=samples, dtype=dtype, peer=label)
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=1, iterations=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_init_module(benchmark, config, dtype):
    model = torch_models.materialized(config, torch_models.DTYPES[dtype])
    _bench(benchmark, dtype, "init_module", lambda: fit.init_module(model, seed=0, rules="hf"),
           torch_models.count(model))
    again = fit.init_module(torch_models.materialized(config, torch_models.DTYPES[dtype]), seed=0,
                            rules="hf")
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    up = model.model.layers[0].mlp.up_proj.weight.float()
    assert abs(up.std().item() - 0.02) < 0.002


@pytest.mark.parametrize("dtype", DTYPES)
def test_init_module_torch_rules(benchmark, config, dtype):
    model = torch_models.materialized(config, torch_models.DTYPES[dtype])
    _bench(benchmark, dtype, "init_module torch rules",
           lambda: fit.init_module(model, seed=0, rules=torch_models.TORCH_RULES),
           torch_models.count(model))
    bound = 1 / config.hidden_size ** 0.5  # as reset_parameters: kaiming_uniform_(a=sqrt(5))
    up = model.model.layers[0].mlp.up_proj.weight.float()
    assert up.abs().max().item() <= bound
    assert abs(up.std().item() - bound / 3 ** 0.5) < 0.1 * bound / 3 ** 0.5
    assert model.model.norm.weight.eq(1).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_raw_kernel_on_as_many_elements(benchmark, config, dtype):
    n = torch_models.count(torch_models.materialized(config, torch.float32))
    flat = torch.empty(n, dtype=torch_models.DTYPES[dtype])
    _bench(benchmark, dtype, "random_normal_ flat",
           lambda: fastinit.random_normal_(flat, seed=0, stddev=0.02), n)
    assert abs(flat.float().std().item() - 0.02) < 0.001


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reset_parameters(benchmark, config, dtype):
    model = torch_models.materialized(config, torch_models.DTYPES[dtype])
    _bench(benchmark, dtype, "reset_parameters", lambda: torch_models.reset_every_module(model),
           torch_models.count(model), rounds=1)
    bound = 1 / config.hidden_size ** 0.5
    assert model.model.layers[0].mlp.up_proj.weight.abs().max().item() <= bound


def test_torch_trunc_normal(benchmark, config):
    model = torch_models.materialized(config, torch.float32)
    _bench(benchmark, "float32", "trunc_normal_",
           lambda: torch_models.trunc_normal_every_matrix(model, budget=1e6),
           torch_models.count(model), rounds=1)
    assert model.model.embed_tokens.weight.abs().max().item() <= 0.04


@pytest.mark.parametrize("patched", [False, True], ids=["plain", "patched"])
def test_llama_for_causal_lm(benchmark, config, patched):
    from transformers import LlamaForCausalLM

    def build():
        return torch_models._patched_build(config, 0) if patched else LlamaForCausalLM(config)

    _bench(benchmark, "float32", "LlamaForCausalLM" + (" patched" if patched else ""), build,
           torch_models.count(torch_models.materialized(config, torch.float32)), rounds=1)
    if patched:
        a, b = build(), build()
        assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(),
                                                      strict=True))


# Many small tensors: the per-module cost of init_module (the reset code's recorded writes,
# the plan, the checks) against torch's own reset_parameters on the same 500 Linear(64, 64).
# The ratio is measured in one process, alternating, medians: bench/torch_small_modules.py.
SMALL_MODULES = 500


@pytest.fixture(scope="module")
def linears():
    return torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(SMALL_MODULES)])


def _small(benchmark, label, run):
    benchmark.group = f"{SMALL_MODULES} x Linear(64, 64)"
    benchmark.extra_info.update(tensors=2 * SMALL_MODULES, peer=label)
    benchmark.pedantic(run, rounds=20, warmup_rounds=2, iterations=1)


def test_init_module_small_linears(benchmark, linears):
    _small(benchmark, "init_module", lambda: fit.init_module(linears, seed=0, n_threads=1))
    bound = 1 / 8  # kaiming_uniform_(a=sqrt(5)) of fan_in 64: 1/sqrt(64)
    assert linears[3].weight.abs().max().item() <= bound


def test_reset_parameters_small_linears(benchmark, linears):
    _small(benchmark, "reset_parameters", lambda: torch_models.reset_every_module(linears))
    assert linears[3].weight.abs().max().item() <= 1 / 8


@pytest.mark.parametrize("who", ["fastinit", "torch"])
def test_kaiming_uniform_64x64(benchmark, who):
    import math

    w = torch.empty(64, 64)
    fn = (lambda: fit.kaiming_uniform_(w, a=math.sqrt(5), seed=0, stream="w")) \
        if who == "fastinit" else (lambda: torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)))
    benchmark.group = "kaiming_uniform_ 64x64"
    benchmark.extra_info.update(elements=w.numel(), peer=who)
    benchmark.pedantic(fn, rounds=200, warmup_rounds=10, iterations=10)
    assert w.abs().max().item() <= 1 / 8
