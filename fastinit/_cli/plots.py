"""Matplotlib figures of the diagnostics and of the training comparison.

matplotlib is imported only when a plot is drawn, with the non-interactive
Agg backend, so the rest of fastinit works without it.
"""

import io
import math

import numpy as np

from ..diagnose._mlp import (
    CONSTANT,
    GLOROT_NORMAL,
    GLOROT_UNIFORM,
    HE_NORMAL,
    HE_UNIFORM,
    LECUN_NORMAL,
    LECUN_UNIFORM,
    NORMAL_001,
    NORMAL_005,
    UNIFORM,
    ZEROS,
)

# one colour per family, solid = normal, dashed = uniform, so 11 lines stay apart
_STYLE = {
    ZEROS: ("#000000", ":"),
    CONSTANT: ("#7f7f7f", ":"),
    NORMAL_001: ("#d62728", "-"),
    NORMAL_005: ("#ff7f0e", "-"),
    UNIFORM: ("#ff7f0e", "--"),
    GLOROT_NORMAL: ("#1f77b4", "-"),
    GLOROT_UNIFORM: ("#1f77b4", "--"),
    HE_NORMAL: ("#2ca02c", "-"),
    HE_UNIFORM: ("#2ca02c", "--"),
    LECUN_NORMAL: ("#9467bd", "-"),
    LECUN_UNIFORM: ("#9467bd", "--"),
}
_DPI = 90  # with the indexed PNG of _save, ~50 KB per figure


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _positive(values):
    # log axes cannot show 0, inf or nan: leave a gap instead
    return [v if v is not None and math.isfinite(v) and v > 0 else math.nan for v in values]


def _line(ax, xs, ys, name, **kw):
    color, style = _STYLE.get(name, (None, "-"))
    ax.plot(xs, _positive(ys), color=color, linestyle=style, linewidth=1.4, label=name, **kw)


def _save(fig, path, handles, labels, ncol):
    from PIL import Image  # Pillow is a dependency of matplotlib

    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    _pyplot().close(fig)
    # an indexed PNG is a third of the size; the palette holds each line colour
    # blended with white, so colours stay exact where an adaptive one drifts
    with Image.open(buf) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.int64)
    palette = _palette()
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    colours, inverse = np.unique(packed, return_inverse=True)
    unique_rgb = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
    nearest = ((unique_rgb[:, None, :] - palette[None]) ** 2).sum(axis=2).argmin(axis=1)
    index = nearest[inverse].astype(np.uint8).tobytes()
    out = Image.frombytes("P", (packed.shape[1], packed.shape[0]), index)
    out.putpalette(palette.astype(np.uint8).ravel().tolist())
    out.save(path, format="PNG", optimize=True)


def _palette():
    """(n <= 256, 3) ints: every line colour blended with white in equal steps."""
    colours = sorted({c for c, _ in _STYLE.values()})
    levels = 256 // len(colours)
    t = np.linspace(0.0, 1.0, levels)[:, None]
    ramps = [255 + (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) - 255) * t
             for c in colours]
    return np.rint(np.concatenate(ramps)).astype(np.int64)


def plot_diagnose(report, path):
    """Per-layer activation std and weight-gradient norm, one panel per activation.

    Parameters
    ----------
    report : dict
        The result of :func:`fastinit.diagnose.diagnose`.
    path : str or path-like
        Output PNG file.
    """
    plt = _pyplot()
    cfg = report["config"]
    acts = cfg["activations"]
    fig, axes = plt.subplots(2, len(acts), figsize=(2.9 * len(acts) + 0.8, 6.6),
                             squeeze=False, sharex=True)
    for j, act in enumerate(acts):
        top, bottom = axes[0, j], axes[1, j]
        for r in (r for r in report["results"] if r["activation"] == act):
            ks = range(1, len(r["layers"]) + 1)
            _line(top, ks, [x["std"] for x in r["layers"]], r["initializer"])
            _line(bottom, ks, [x["grad_norm"] for x in r["layers"]], r["initializer"])
        top.set_title(act)
        bottom.set_xlabel("layer")
        for ax in (top, bottom):
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
    axes[0, 0].set_ylabel("activation std")
    axes[1, 0].set_ylabel("weight gradient norm")
    fig.suptitle(f"Forward and backward signal through {cfg['depth']} dense layers of width "
                 f"{cfg['width']} (batch {cfg['batch_size']}, seed {cfg['seed']}); "
                 f"flat lines are good.\nZeros (all 0) are off the log scale; Glorot and "
                 f"LeCun coincide since fan_in = fan_out", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.93))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    _save(fig, path, handles, labels, ncol=min(len(labels), 6))


def plot_compare(report, path):
    """Training and test loss per epoch, one panel column per experiment.

    Parameters
    ----------
    report : dict
        The result of :func:`fastinit._cli.compare.compare`.
    path : str or path-like
        Output PNG file.
    """
    plt = _pyplot()
    cfg = report["config"]
    exps = list(cfg["experiments"])
    fig, axes = plt.subplots(2, len(exps), figsize=(3.8 * len(exps) + 0.8, 6.4),
                             squeeze=False, sharex=True, sharey="row")
    for j, exp in enumerate(exps):
        spec = cfg["experiments"][exp]
        for r in (r for r in report["results"] if r["experiment"] == exp):
            epochs = range(len(r["train_loss"]))
            _line(axes[0, j], epochs, r["train_loss"], r["initializer"])
            _line(axes[1, j], epochs, r["test_loss"], r["initializer"])
        axes[0, j].set_title(f"{exp}: {len(spec['hidden'])} x Dense({spec['hidden'][0]}, "
                             f"{spec['activation']})", fontsize=10)
        axes[1, j].set_xlabel("epoch")
        for ax in axes[:, j]:
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_ylabel("training loss (cross-entropy)")
    axes[1, 0].set_ylabel("test loss")
    fig.suptitle(f"Digits (8x8, {cfg['n_train']} train / {cfg['n_test']} test), "
                 f"{cfg['optimizer']} lr={cfg['lr']:g}, batch {cfg['batch_size']}, "
                 f"seed {cfg['seed']}", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    _save(fig, path, handles, labels, ncol=min(len(labels), 6))
