"""The training comparison: one small network per initializer on real digits.

The article's model is ``Flatten -> Dense(128, relu) -> Dense(10)``; it is
trained here on scikit-learn's offline 8x8 ``load_digits`` (1797 images, a
fixed stratified 75/25 train/test split) with minibatch SGD or Adam written
in NumPy, once per initializer, with the same data order and number of
epochs.  Deeper variants (8 hidden layers, relu or tanh) show what the
one-hidden-layer model hides.  ``python -m fastinit compare --help``; needs
scikit-learn (the ``diagnose`` extra).
"""

import argparse

import numpy as np

from ..diagnose._mlp import (
    INITIALIZER_NAMES,
    LINEAR,
    MLP,
    RELU,
    TANH,
    check_names,
    check_seed,
    init_weights,
    one_blas_thread,
    progress_bar,
)
from . import options, plots, report
from .train import SGD, Adam, softmax_cross_entropy

# name -> (hidden layer sizes, activation); "article" is the article's model
ARTICLE = "article"
DEEP_RELU = "deep_relu"
DEEP_TANH = "deep_tanh"
DEEP_LAYERS = 8
WIDTH = 128
OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3}


def experiment_table(*, width=WIDTH, deep_layers=DEEP_LAYERS):
    """Return the experiment table ``name -> (hidden sizes, activation)``."""
    return {
        ARTICLE: ((width,), RELU),
        DEEP_RELU: ((width,) * deep_layers, RELU),
        DEEP_TANH: ((width,) * deep_layers, TANH),
    }


EXPERIMENT_NAMES = tuple(experiment_table())


def load_data(dtype=np.float32):
    """Digits scaled to [0, 1], split 75/25 (stratified, fixed).

    Parameters
    ----------
    dtype : numpy dtype
        Type of the images (float32 trains twice as fast as float64).

    Returns
    -------
    tuple of ndarray
        ``x_train, y_train, x_test, y_test``; ``x`` is `dtype`, shape (n, 64).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(dtype)
    # the split never depends on --seed: every run sees the same test set
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return x_tr, y_tr, x_te, y_te


def build(initializer, hidden, activation, *, n_in, n_out, seed, dtype=np.float32):
    """An :class:`MLP` with hidden layers `hidden` and a linear output layer."""
    sizes = [n_in, *hidden, n_out]
    weights = init_weights(sizes, initializer, seed=seed, dtype=dtype)
    return MLP(weights, [activation] * len(hidden) + [LINEAR])


def evaluate(net, x, y):
    """Mean cross-entropy and accuracy of `net` on ``(x, y)``."""
    logits, _ = net.forward(x)
    loss, _ = softmax_cross_entropy(logits, y)
    return loss, float(np.mean(logits.argmax(axis=1) == y))


def train(net, data, *, epochs, batch_size, optimizer, lr, seed):
    """Train `net` in place; return per-epoch losses and final metrics.

    Parameters
    ----------
    net : MLP
        The network (its last layer gives the logits).
    data : tuple
        ``x_train, y_train, x_test, y_test`` as from :func:`load_data`.
    epochs, batch_size : int
        Passes over the training set and minibatch size.
    optimizer : {"sgd", "adam"}
    lr : float
        Learning rate.
    seed : int
        Seed of the data order (the same for every initializer).

    Returns
    -------
    dict
        ``train_loss`` and ``test_loss`` lists (epoch 0 is before
        training) and the final ``train_acc`` and ``test_acc``.
    """
    x_tr, y_tr, x_te, y_te = data
    if not 1 <= batch_size <= len(y_tr):
        raise ValueError(f"batch_size must be in [1, {len(y_tr)}], got {batch_size!r}")
    opt = SGD(lr) if optimizer == "sgd" else Adam(lr)
    order = np.random.default_rng([seed, 0xDA7A])
    curves = {"train_loss": [], "test_loss": []}
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for epoch in range(epochs + 1):
            if epoch:
                perm = order.permutation(len(y_tr))
                # drop the incomplete last batch: a step on a few samples is
                # noisy enough to spike the loss of a deep net
                for i in range(0, len(perm) - batch_size + 1, batch_size):
                    idx = perm[i:i + batch_size]
                    logits, cache = net.forward(x_tr[idx])
                    _, dlogits = softmax_cross_entropy(logits, y_tr[idx])
                    opt.step(net.params, net.backward(cache, dlogits))
            train_loss, train_acc = evaluate(net, x_tr, y_tr)
            test_loss, test_acc = evaluate(net, x_te, y_te)
            curves["train_loss"].append(train_loss)
            curves["test_loss"].append(test_loss)
    return {**curves, "train_acc": train_acc, "test_acc": test_acc}


def compare(*, experiments=None, initializers=None, epochs=20, batch_size=32,
            optimizer="sgd", lr=None, width=WIDTH, deep_layers=DEEP_LAYERS, seed=0,
            progress=False):
    """Train one network per experiment x initializer.

    Parameters
    ----------
    experiments : sequence of str, optional
        Subset of :data:`EXPERIMENT_NAMES` (default: all).
    initializers : sequence of str, optional
        Subset of :data:`~fastinit.diagnose._mlp.INITIALIZER_NAMES` (default: all).
    epochs, batch_size, optimizer, lr :
        As in :func:`train`; `lr` defaults to :data:`DEFAULT_LR`.
    width, deep_layers : int
        Hidden width, and hidden layers of the deep experiments.
    seed : int
        Seed of the weights and of the data order.
    progress : bool
        Show a progress bar on stderr (tqdm, from the diagnose extra).

    Returns
    -------
    dict
        ``config`` and ``results``: one dict per run with ``experiment``,
        ``initializer`` and the keys of :func:`train`.
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("width", width),
                        ("deep_layers", deep_layers)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    check_seed(seed)
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    table = experiment_table(width=width, deep_layers=deep_layers)
    exps = check_names("experiments", experiments or EXPERIMENT_NAMES, EXPERIMENT_NAMES)
    inits = check_names("initializers", initializers or INITIALIZER_NAMES, INITIALIZER_NAMES)
    data = load_data()
    results = []
    with one_blas_thread(), progress_bar(len(exps) * len(inits), "compare", progress) as bar:
        _run_all(results, table, exps, inits, data, bar, epochs=epochs, batch_size=batch_size,
                 optimizer=optimizer, lr=lr, seed=seed)
    config = {"experiments": {e: {"hidden": list(table[e][0]), "activation": table[e][1]}
                              for e in exps},
              "initializers": list(inits), "epochs": epochs, "batch_size": batch_size,
              "optimizer": optimizer, "lr": lr, "seed": seed,
              "n_train": len(data[1]), "n_test": len(data[3])}
    return {"config": config, "results": results}


def _run_all(results, table, exps, inits, data, bar, **train_kw):
    for exp in exps:
        hidden, act = table[exp]
        for init in inits:
            net = build(init, hidden, act, n_in=data[0].shape[1], n_out=10,
                        seed=train_kw["seed"])
            run = train(net, data, **train_kw)
            results.append({"experiment": exp, "initializer": init, **run})
            bar.update()


def format_report(result):
    """Render :func:`compare`'s result as plain-text tables, one per experiment."""
    cfg = result["config"]
    blocks = []
    for exp, spec in cfg["experiments"].items():
        arch = " -> ".join([f"Dense({h}, {spec['activation']})" for h in spec["hidden"]][:2])
        if len(spec["hidden"]) > 2:
            arch += f" -> ... ({len(spec['hidden'])} hidden)"
        rows = [(r["initializer"], report.cell(r["train_loss"][-1], ".4f"),
                 report.cell(r["test_loss"][-1], ".4f"), f"{r['train_acc']:.1%}",
                 f"{r['test_acc']:.1%}")
                for r in result["results"] if r["experiment"] == exp]
        blocks.append(f"== {exp} ==  Flatten -> {arch} -> Dense(10); {cfg['optimizer']} "
                      f"lr={cfg['lr']:g}, {cfg['epochs']} epochs, batch {cfg['batch_size']}\n"
                      + report.table(("initializer", "train loss", "test loss", "train acc",
                                      "test acc"), rows))
    return "\n\n".join(blocks)


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit compare",
        description="Train the same small network on scikit-learn's digits once per "
                    "initializer and compare losses and accuracies (needs scikit-learn: "
                    "the 'diagnose' extra).")
    options.add_subset_option(p, "--experiments", EXPERIMENT_NAMES)
    options.add_subset_option(p, "--initializers", INITIALIZER_NAMES)
    p.add_argument("--epochs", type=options.positive_int, default=20, help="default 20")
    p.add_argument("--batch-size", type=options.positive_int, default=32, help="default 32")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="default sgd")
    p.add_argument("--lr", type=options.number(0.0, low_open=True), default=None,
                   help="learning rate (default 0.1 for sgd, 0.001 for adam)")
    p.add_argument("--width", type=options.positive_int, default=WIDTH,
                   help=f"hidden units (default {WIDTH})")
    p.add_argument("--deep-layers", type=options.positive_int, default=DEEP_LAYERS,
                   help=f"hidden layers of the deep experiments (default {DEEP_LAYERS})")
    p.add_argument("--seed", type=options.seed, default=0, help="seed of weights and data order")
    options.add_report_options(p, "the loss curves")
    return p


def _main(args):
    # float32 weights, gradients and Adam's two moments of the deep experiments' hidden layers
    options.check_memory(4 * 4 * args.deep_layers * args.width ** 2, "--width and --deep-layers")
    needed = {"sklearn": "scikit-learn", **({"matplotlib": "matplotlib"} if args.plot else {})}
    options.require(needed, extra="diagnose",
                    needed_by="compare --plot" if args.plot else "compare")
    try:
        result = compare(experiments=args.experiments, initializers=args.initializers,
                         epochs=args.epochs, batch_size=args.batch_size,
                         optimizer=args.optimizer, lr=args.lr, width=args.width,
                         deep_layers=args.deep_layers, seed=args.seed,
                         progress=not args.no_progress)
    except ValueError as exc:  # a --batch-size larger than the training set
        raise options.UsageError(str(exc)) from None
    report.emit(result, as_json=args.json, text=lambda: format_report(result),
                plot=plots.plot_compare, plot_path=args.plot)
    return 0


def main(argv=None):
    """Run ``python -m fastinit compare`` with `argv`; return the exit status."""
    return options.run(parser(), argv, _main)
