"""Whole-model initialization, measured: init_module against torch and transformers.

The same Llama-style model (``LlamaForCausalLM`` built on the meta device,
materialized empty on the CPU) is initialized by

- ``fastinit.torch.init_module(model, rules="hf")`` (normal fills);
- ``fastinit.torch.init_module(model, rules=("torch", "hf"))``: torch's rules
  for every module torch knows, transformers' for the rest (the RMSNorm
  weights), so the same distributions as the ``reset_parameters`` row;
- the raw kernel: ``fastinit.random_normal_`` on one flat buffer holding as
  many elements (the per-tensor overhead of ``init_module`` is the gap);
- torch's own ``reset_parameters`` on every module that has one;
- ``torch.nn.init.trunc_normal_(std=0.02, a=-0.04, b=0.04)`` on every matrix;
- ``LlamaForCausalLM(config)`` (allocation included: it cannot be separated),
  plain and inside ``fastinit.torch.patched``.

Rows alternate within each round (A B C ... A B C ...); medians count. Each
peer is compared with the fastinit row drawing its distributions (:data:`VERSUS`).
``python -m fastinit bench --model 1e9 --dtype float32 bfloat16 --threads 2
--repeats 3`` runs :func:`run` (``python -m fastinit._cli.bench.torch_models`` has every knob).
"""

import argparse
import contextlib
import statistics
import time

import torch

import fastinit.torch as fit

from ... import initializers

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
          "float64": torch.float64}
# `python -m fastinit bench --model` runs the slow rows once, torch's trunc_normal_ on this many
SLOW_ROUNDS = 1
TRUNC_BUDGET = 5e7
SMALL = {"vocab_size": 4096, "hidden_size": 256, "intermediate_size": 688,
         "num_attention_heads": 8, "num_key_value_heads": 8}
LARGE = {"vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632,
         "num_attention_heads": 32, "num_key_value_heads": 32}


def llama_config(params):
    """A LlamaConfig of about ``params`` parameters: LARGE's widths (SMALL below 1e8)."""
    from transformers import LlamaConfig

    widths = LARGE if params >= 1e8 else SMALL
    h, i, v = widths["hidden_size"], widths["intermediate_size"], widths["vocab_size"]
    per_layer = 4 * h * h + 3 * h * i + 2 * h
    layers = max(1, round((params - 2 * v * h - h) / per_layer))
    return LlamaConfig(num_hidden_layers=layers, tie_word_embeddings=False,
                       initializer_range=0.02, **widths)


def materialized(config, dtype):
    """The model built on the meta device, then given CPU memory, touched once.

    Touching (zeroing) makes the memory resident, so no timed row pays the first
    page faults (LlamaForCausalLM(config) does: it allocates as it goes).
    """
    from transformers import LlamaForCausalLM

    with torch.device("meta"):
        model = LlamaForCausalLM(config).to(dtype)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for t in model.state_dict().values():
            t.zero_()
    return model


def count(model):
    return sum(p.numel() for p in model.parameters())


@contextlib.contextmanager
def default_dtype(dtype):
    saved = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(saved)


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def peak_extra_mib(run):
    """Run ``run()``; the rise of the peak resident set over the resident set before, MiB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        return float("nan")
    before = _rss_kib("VmRSS:")
    run()
    return (_rss_kib("VmHWM:") - before) / 1024


def reset_every_module(model):
    with torch.no_grad():
        for module in model.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()


def trunc_normal_every_matrix(model, budget=None):
    """torch's trunc_normal_ on each matrix; with `budget`, stop after that many elements.

    Returns (elements done, elements in all matrices).
    """
    done = 0
    matrices = [p for p in model.parameters() if p.ndim >= 2]
    for p in matrices:
        if budget is not None and done >= budget:
            break
        torch.nn.init.trunc_normal_(p, std=0.02, a=-0.04, b=0.04)
        done += p.numel()
    return done, sum(p.numel() for p in matrices)


def _timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def one_round(config, dtype, threads, seed, with_hf, slow=True, trunc_budget=None):
    """{row: seconds} of one round, rows in a fixed order; also the element count.

    ``slow=False`` leaves out the torch and transformers rows (minutes at 1e9).
    """
    from transformers import LlamaForCausalLM

    times = {}
    model = materialized(config, dtype)
    n = count(model)
    extra = peak_extra_mib(lambda: times.__setitem__("init", _timed(
        lambda: fit.init_module(model, seed=seed, rules="hf", n_threads=threads))))
    times["init_torch"] = _timed(lambda: fit.init_module(model, seed=seed, rules=TORCH_RULES,
                                                         n_threads=threads))
    if slow:
        times["reset"] = _timed(lambda: reset_every_module(model))
        start = time.perf_counter()
        done, total = trunc_normal_every_matrix(model, trunc_budget)
        # extrapolated linearly when only part of the matrices was filled
        times["trunc"] = (time.perf_counter() - start) * total / done
    model = None  # free it before the next allocation
    flat = torch.zeros(n, dtype=dtype)
    times["raw"] = _timed(lambda: initializers.random_normal_(flat, seed=seed, stddev=0.02,
                                                          n_threads=threads))
    flat = None
    if with_hf and slow:
        with default_dtype(dtype):
            times["hf"] = _timed(lambda: LlamaForCausalLM(config))
            times["patched"] = _timed(lambda: _patched_build(config, seed))
    return times, n, extra


def _patched_build(config, seed):
    from transformers import LlamaForCausalLM

    with fit.patched(seed=seed):
        return LlamaForCausalLM(config)


TORCH_RULES = ("torch", "hf")
LABELS = {
    "init": "fastinit.torch.init_module(rules='hf')",
    "init_torch": "fastinit.torch.init_module(rules=('torch', 'hf'))",
    "raw": "fastinit.random_normal_ on one flat buffer",
    "reset": "torch reset_parameters() on every module",
    "trunc": "torch.nn.init.trunc_normal_ on every matrix",
    "hf": "LlamaForCausalLM(config)",
    "patched": "LlamaForCausalLM(config) in fastinit.torch.patched",
}
# the fastinit row each row is divided by: the one drawing the same distributions
VERSUS = {"init": "init", "init_torch": "init_torch", "raw": "init", "reset": "init_torch",
          "trunc": "init", "hf": "init", "patched": "init"}
COLUMNS = {"init": "/ init hf", "init_torch": "/ init torch"}


def measure(params, dtypes, threads, rounds, seed=0, with_hf=True, slow_rounds=None,
            trunc_budget=None):
    """Rows ``{dtype, row, label, seconds (median), runs, samples, extra_mib}``.

    The torch and transformers rows run in the first `slow_rounds` rounds only.
    """
    torch.set_num_threads(threads)
    config = llama_config(params)
    rows = []
    for name in dtypes:
        runs, extras, n = [], [], 0
        for k in range(rounds):
            slow = slow_rounds is None or k < slow_rounds
            times, n, extra = one_round(config, DTYPES[name], threads, seed, with_hf, slow,
                                        trunc_budget)
            runs.append(times)
            extras.append(extra)
        for key in runs[0]:
            seconds = [r[key] for r in runs if key in r]
            label = LABELS[key]
            if key == "trunc" and trunc_budget:
                label += f" (scaled from {trunc_budget:.0e})"
            rows.append({"dtype": name, "row": key, "label": label, "samples": n,
                         "seconds": statistics.median(seconds), "runs": len(seconds),
                         "extra_mib": max(extras) if key == "init" else None})
    return rows


def format_table(rows):
    """The rows as text; each row's seconds over its :data:`VERSUS` row's, in that row's column."""
    width = max(60, *(len(r["label"]) for r in rows))
    lines = [f"{'dtype':9} {'method':{width}} {'runs':>4} {'median s':>9} {'Gsamples/s':>10} "
             + " ".join(f"{header:>12}" for header in COLUMNS.values())]
    seconds = {(r["dtype"], r["row"]): r["seconds"] for r in rows}
    for r in rows:
        versus = VERSUS[r["row"]]
        ratios = [f"{r['seconds'] / seconds[r['dtype'], versus]:12.1f}" if key == versus
                  else f"{'':12}" for key in COLUMNS]
        lines.append(f"{r['dtype']:9} {r['label']:{width}} {r['runs']:4} {r['seconds']:9.3f} "
                     f"{r['samples'] / r['seconds'] / 1e9:10.3f} " + " ".join(ratios).rstrip())
    lines.append(f"{COLUMNS['init']}: seconds over those of {LABELS['init']} (normal fills)")
    lines.append(f"{COLUMNS['init_torch']}: seconds over those of {LABELS['init_torch']} "
                 "(reset_parameters' distributions)")
    for r in rows:
        if r["row"] == "init":
            lines.append(f"{r['dtype']}: init_module peak resident set beyond the model: "
                         f"{r['extra_mib']:.0f} MiB")
    return "\n".join(lines)


def run(params, dtypes, threads, rounds):
    """Measure and print the table; the ``bench --model`` entry point."""
    rows = measure(params, dtypes, threads, rounds, slow_rounds=SLOW_ROUNDS,
                   trunc_budget=min(TRUNC_BUDGET, params))
    _print(rows, threads)
    return 0


def _print(rows, threads):
    print(f"Llama-style model, {rows[0]['samples'] / 1e9:.3f} B parameters, {threads} threads, "
          f"median of the runs of alternating rounds (torch {torch.__version__})")
    print(format_table(rows))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--params", type=float, default=1e9, help="model size (default 1e9)")
    p.add_argument("--dtype", nargs="+", choices=tuple(DTYPES), default=["float32", "bfloat16"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--slow-rounds", type=int, default=None,
                   help="rounds that include the torch/transformers rows (default: all)")
    p.add_argument("--trunc-budget", type=float, default=None, metavar="N",
                   help="time torch's trunc_normal_ on the first matrices holding N elements "
                        "and extrapolate to all (it runs at a few Msamples/s)")
    p.add_argument("--no-hf", action="store_true", help="skip the LlamaForCausalLM rows")
    args = p.parse_args(argv)
    rows = measure(args.params, args.dtype, args.threads, args.rounds, with_hf=not args.no_hf,
                   slow_rounds=args.slow_rounds, trunc_budget=args.trunc_budget)
    _print(rows, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
