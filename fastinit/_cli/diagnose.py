"""``python -m fastinit diagnose``: the diagnostics of :mod:`fastinit.diagnose` as a
table, JSON or a plot."""

import argparse

from .. import diagnose as dg
from . import options, plots, report


def _layers_shown(depth):
    """The first, middle and last layer (1-based), each once."""
    return sorted({1, (depth + 1) // 2, depth})


def _summary_row(r, shown):
    ls = r["layers"]
    sat = [x["saturated"] for x in ls if x["saturated"] is not None]
    dead = [x["dead"] for x in ls if x["dead"] is not None]
    return ([r["initializer"]] + [report.cell(ls[k - 1]["std"]) for k in shown]
            + [report.cell(ls[0]["grad_norm"])]
            + ([report.cell(ls[-1]["grad_norm"])] if len(ls) > 1 else [])
            + [report.cell(max(sat) if sat else None, ".0%"),
               report.cell(max(dead) if dead else None, ".0%"),
               report.cell(r["variance_ratio"]), report.cell(r["gradient_ratio"]), r["verdict"]])


def _per_layer(r):
    rows = [(str(k), report.cell(x["mean"]), report.cell(x["std"]),
             report.cell(x["saturated"], ".1%"), report.cell(x["dead"], ".0%"),
             report.cell(x["grad_norm"])) for k, x in enumerate(r["layers"], 1)]
    return report.table(("layer", "mean", "std", "saturated", "dead", "|dW|"), rows,
                        indent="    ")


def format_report(result, *, per_layer=False):
    """Render :func:`fastinit.diagnose.diagnose`'s result as plain-text tables.

    One table per activation, one row per initializer: activation std at the
    first, middle and last layer, weight gradient norm at the first and last
    layer, the worst saturated/dead fraction, the two ratios and the verdict;
    with `per_layer`, then every layer of every run.
    """
    cfg = result["config"]
    depth = cfg["depth"]
    shown = _layers_shown(depth)
    header = (["initializer"] + [f"std L{k}" for k in shown] + ["|dW| L1"]
              + ([f"|dW| L{depth}"] if depth > 1 else [])
              + ["sat", "dead", "var last/1", "grad 1/last", "verdict"])
    blocks = []
    for act in cfg["activations"]:
        runs = [r for r in result["results"] if r["activation"] == act]
        blocks.append(f"== {act} ==  (depth {depth}, width {cfg['width']})\n"
                      + report.table(header, [_summary_row(r, shown) for r in runs],
                                     text_last=True))
        if per_layer:
            blocks += [f"  {r['initializer']}, {act}, per layer:\n{_per_layer(r)}" for r in runs]
    return "\n\n".join(blocks)


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit diagnose",
        description="Per-layer activation and gradient statistics of a deep dense network "
                    "for each initializer and activation.")
    p.add_argument("--depth", type=options.positive_int, default=20,
                   help="dense layers (default 20)")
    p.add_argument("--width", type=options.positive_int, default=512,
                   help="units per layer (default 512)")
    p.add_argument("--batch-size", type=options.positive_int, default=256,
                   help="random inputs (default 256)")
    p.add_argument("--seed", type=options.seed, default=0,
                   help="seed of weights and inputs (default 0)")
    options.add_subset_option(p, "--initializers", dg.INITIALIZER_NAMES)
    options.add_subset_option(p, "--activations", dg.ACTIVATIONS)
    p.add_argument("--per-layer", action="store_true", help="also print every layer")
    options.add_report_options(p, "the activation std and gradient norm per layer")
    return p


def _main(args):
    # float32 weights and their gradients, and the forward cache (inputs, z, outputs)
    options.check_memory(4 * args.depth * args.width * (2 * args.width + 3 * args.batch_size),
                   "--depth, --width and --batch-size")
    if args.plot:
        options.require({"matplotlib": "matplotlib"}, extra="diagnose", needed_by="diagnose --plot")
    result = dg.diagnose(depth=args.depth, width=args.width, batch_size=args.batch_size,
                         seed=args.seed, initializers=args.initializers,
                         activations=args.activations, progress=not args.no_progress)
    report.emit(result, as_json=args.json,
                text=lambda: format_report(result, per_layer=args.per_layer),
                plot=plots.plot_diagnose, plot_path=args.plot)
    return 0


def main(argv=None):
    """Run ``python -m fastinit diagnose`` with `argv`; return the exit status."""
    return options.run(parser(), argv, _main)
