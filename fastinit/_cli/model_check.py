"""One architecture checked: ``init_module(rules="hf")`` against ``Model(config)`` itself.

``Model(config)`` is built three times, under torch seeds 0, 1 and 2: an
element equal in all three is what the constructor computes (constants,
padding rows, position ids, rotary tables), the others are draws. The model
is built again on the meta device, materialized with ``to_empty``, every
tensor set to NaN (so memory left uninitialized shows), and initialized by
``fastinit.torch.init_module(rules="hf")``. Then per tensor, under every name:

- the computed elements must equal the constructor's (``allclose``, relative
  1e-5, absolute 1e-6: replayed on the CPU, they may round differently);
- the drawn elements must follow the same distribution: the standard
  deviation within ``6 / sqrt(2 n) + 3%`` of the first reference's, and a
  two-sample Kolmogorov-Smirnov test against the references' draws (all
  three up to 100 000 draws, the first above; at most 100 000 values a side,
  a fixed random choice) rejected below p = 1e-9. Each false alarm is below
  1e-8 per tensor: over a whole sweep of some 60 000 tensors, below 1e-3;
- the ties (names sharing one tensor) are those of ``Model(config)``;
- ``plan_module`` of a fresh meta model gives, filled into NumPy buffers,
  exactly the bytes ``init_module`` wrote;
- one forward pass is finite where ``Model(config)``'s is.
"""

import math
import time

import numpy as np

from . import tiny

KS_P = 1e-9


def _named(model):
    return [*model.named_parameters(remove_duplicate=False),
            *model.named_buffers(remove_duplicate=False)]


def _groups(model):
    by_id = {}
    for name, t in _named(model):
        by_id.setdefault(id(t), []).append(name)
    return sorted(sorted(g) for g in by_id.values() if len(g) > 1)


def _poison(model):
    import torch

    with torch.no_grad():
        for _, t in _named(model):
            t.fill_(float("nan") if t.is_floating_point() else 77)


def _same(a, b):
    both_nan = a.isnan() & b.isnan() if a.is_floating_point() else a != a
    return (a == b) | both_nan


def ks_pvalue(x, y):
    """Two-sample Kolmogorov-Smirnov test: the asymptotic p-value of ``sup |F_x - F_y|``.

    Kolmogorov's distribution with Stephens' small-sample correction
    (Numerical Recipes, 3rd ed., section 14.3.3).
    """
    x, y = np.sort(x), np.sort(y)
    grid = np.concatenate([x, y])
    d = np.abs(np.searchsorted(x, grid, side="right") / len(x)
               - np.searchsorted(y, grid, side="right") / len(y)).max()
    ne = len(x) * len(y) / (len(x) + len(y))
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    if lam < 0.2:
        return 1.0
    k = np.arange(1, 101)
    return float(min(1.0, max(0.0, 2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * lam**2)))))


def _subsample(x, n=100_000):
    """At most ``n`` of the values, a fixed random choice (the KS test's power is ample)."""
    return x if len(x) <= n else np.random.default_rng(0).choice(x, n, replace=False)


def compare_tensor(refs, ours):
    """None if ``ours`` agrees with the three references, else why not."""
    import torch

    a = refs[0]
    if tuple(a.shape) != tuple(ours.shape) or a.dtype != ours.dtype:
        return f"shape/dtype {tuple(ours.shape)} {ours.dtype}, expected {tuple(a.shape)} {a.dtype}"
    if a.numel() == 0:
        return None
    fixed = _same(refs[0], refs[1]) & _same(refs[1], refs[2])
    if not a.is_floating_point():
        return None if torch.equal(ours[fixed], a[fixed]) else "integer values differ"
    if fixed.any():
        want, got = a[fixed].double(), ours.detach()[fixed].double()
        close = torch.isclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)
        if not close.all():
            return f"{int((~close).sum())} computed element(s) differ from the constructor's"
    drawn = ~fixed
    n = int(drawn.sum())
    if n == 0:
        return None
    mine = ours.detach()[drawn]
    if not torch.isfinite(mine).all():
        return f"{int((~torch.isfinite(mine)).sum())} drawn element(s) are not finite"
    if n < 32:
        return None
    theirs = a.detach()[drawn]
    sa, sb = theirs.double().std().item(), mine.double().std().item()
    if sa > 0 and abs(sb / sa - 1) > 6 / math.sqrt(2 * n) + 0.03:
        return f"std {sb:.4g}, expected {sa:.4g} ({n} draws)"
    pool = torch.cat([r.detach()[drawn] for r in refs]) if n <= 100_000 else theirs
    p = ks_pvalue(_subsample(mine.double().numpy()), _subsample(pool.double().numpy()))
    if p < KS_P:
        return f"distribution differs (KS p = {p:.2g}, {n} draws)"
    return None


def _forward(model, batch):
    import torch

    if batch is None:
        return "no input"
    try:
        model.eval()
        with torch.no_grad():
            out = model(**batch)
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        return f"error: {type(error).__name__}"
    first = out[0] if isinstance(out, (tuple, list)) else next(
        (v for v in out.values() if hasattr(v, "is_floating_point")), None)
    if first is not None and first.is_floating_point() and not first.isfinite().all():
        return "not finite"
    return "ok"


def _plan_differs(cls, config, state, seed):
    """The first plan row whose fill differs from what init_module wrote, or None."""
    import torch

    import fastinit.torch as fit

    with torch.device("meta"):
        fresh = cls(config)
    for row in fit.plan_module(fresh, seed=seed, rules="hf"):
        want = state[row.name]
        if want.dtype not in (torch.float32, torch.float64):
            continue
        got = row.fn(np.zeros(row.shape, str(want.dtype).removeprefix("torch.")), **row.kwargs)
        if not np.array_equal(got, want.numpy(), equal_nan=True):
            return row.name
    return None


def check(model_type, class_name, seed=0, forward=True, limit=tiny.PARAM_LIMIT):
    """``{"status", "detail", "params", "seconds"}`` of one architecture.

    status: "equal", "differs", "clear error" (init_module raised a ValueError
    naming a tensor), "failed" (anything else raised) or "skipped" (cannot be
    built from a small config).
    """
    import torch

    import fastinit.torch as fit

    start = time.perf_counter()
    try:
        cls, config, params = tiny.tiny_config(model_type, class_name, limit)
    except tiny.Unbuildable as reason:
        return {"status": "skipped", "detail": str(reason), "params": None, "seconds": 0.0}
    result = {"params": params}
    try:
        refs = []
        for s in (0, 1, 2):
            torch.manual_seed(s)
            refs.append(cls(config))
        with torch.device("meta"):
            ours = cls(config)
        ours.to_empty(device="cpu")
        _poison(ours)
        try:
            fit.init_module(ours, seed=seed, rules="hf")
        except ValueError as error:
            result.update(status="clear error", detail=tiny._first_line(error))
            return result
        result.update(status="differs", detail=_differences(refs, ours, forward, config))
        if result["detail"] is None:
            name = _plan_differs(cls, config, ours.state_dict(), seed)
            result["detail"] = None if name is None else f"plan row {name} differs"
        if result["detail"] is None:
            result["status"] = "equal"
    except Exception as error:  # noqa: BLE001 - reported per architecture
        result.update(status="failed", detail=f"{type(error).__name__}: "
                                              f"{tiny._first_line(error)}")
    finally:
        result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def _differences(refs, ours, forward, config):
    mine = dict(_named(ours))
    tensors = [dict(_named(r)) for r in refs]
    seen = set()
    for name, tensor in tensors[0].items():
        if name not in mine:
            return f"{name}: missing"
        if id(tensor) in seen:  # a tie: compared under its first name
            continue
        seen.add(id(tensor))
        why = compare_tensor([t[name] for t in tensors], mine[name])
        if why is not None:
            return f"{name}: {why}"
    if _groups(refs[0]) != _groups(ours):
        return f"ties {_groups(ours)}, expected {_groups(refs[0])}"
    if forward:
        batch = tiny.inputs(refs[0], config)
        theirs = _forward(refs[0], batch)
        if theirs == "ok" and (got := _forward(ours, batch)) != "ok":
            return f"forward pass: {got}"
    return None
