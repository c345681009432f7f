"""``python -m fastinit check-model``: init_module(rules="hf") against Model(config), per model.

For each architecture transformers ships under the given model types (causal
LM, masked LM, sequence-to-sequence LM and base models), a tiny config is
built and ``fastinit.torch.init_module(rules="hf")`` of the model built on
the meta device is compared with ``Model(config)`` tensor by tensor:
distributions, constants, zero rows, ties, buffers and one forward pass
(``fastinit._cli.model_check`` says how). ``--all`` checks every model type;
``--sample`` the fixed sample the test suite runs: for each distinct
``_init_weights`` implementation, the first class in name order that has it
(every ``--sample-every``-th of those), if its tiny config has at most 5M
parameters. ``--jobs N`` runs N worker processes, each architecture with a
time limit, so a crash or a hang is one row of the table.

Exit status 0 when every architecture built is equal or raises a clear error
(a ValueError naming the tensor), 1 when one differs or fails, 2 for bad
arguments.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

from . import options, tiny

WORKER_FLAG = "--worker"
SAMPLE_LIMIT = 5e6  # parameters: the sample keeps to architectures that check in seconds


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit check-model",
        description="Compare fastinit.torch.init_module(rules='hf') with Model(config) for "
                    "transformers architectures built from tiny configs; print a table.")
    p.add_argument("model_types", nargs="*", metavar="MODEL_TYPE",
                   help="transformers model types, e.g. llama bert t5")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every model type transformers ships")
    which.add_argument("--sample", action="store_true",
                       help="the fixed sample of the test suite (see --sample-every)")
    p.add_argument("--sample-every", type=options.positive_int, default=1, metavar="K",
                   help="with --sample: every K-th distinct _init_weights (default 1)")
    p.add_argument("--max-params", type=options.number(1), default=None, metavar="N",
                   help=f"skip architectures above N parameters at their smallest (default "
                        f"{tiny.PARAM_LIMIT:.0e}; {SAMPLE_LIMIT:.0e} with --sample)")
    options.add_subset_option(p, "--kinds", tuple(tiny.KINDS))
    p.add_argument("--seed", type=options.seed, default=0, help="in [0, 2**64) (default 0)")
    p.add_argument("--jobs", type=options.positive_int, default=1, metavar="N",
                   help="worker processes (default 1: this process, no time limit)")
    p.add_argument("--timeout", type=options.positive_int, default=300, metavar="S",
                   help="seconds per architecture with --jobs (default 300)")
    p.add_argument("--no-forward", action="store_true", help="skip the forward pass")
    p.add_argument("--json", type=options.output_file, metavar="FILE",
                   help="also write one JSON line per architecture to FILE")
    p.add_argument(WORKER_FLAG, action="store_true", help=argparse.SUPPRESS)
    return p


def _check_types(types):
    known = tiny.model_types()
    for t in types:
        if t not in known:
            raise options.UsageError(
                f"MODEL_TYPE must be a model type transformers knows, got {t!r}; nearest: "
                f"{', '.join(tiny.nearest(t, known))}")


def sample(kinds, every=1):
    """One class per distinct ``_init_weights`` (its first in name order), every ``every``-th."""
    import transformers

    chosen, seen = [], set()
    for model_type, name, kind in sorted(tiny.classes(kinds=kinds), key=lambda c: c[1]):
        cls = getattr(transformers, name, None)
        code = getattr(getattr(cls, "_init_weights", None), "__code__", None)
        if code is None or code in seen:
            continue
        seen.add(code)
        chosen.append((model_type, name, kind))
    return chosen[::every]


def tasks(args):
    if args.model_types and (args.all or args.sample):
        raise options.UsageError("give MODEL_TYPE ..., --all or --sample, not more than one")
    if args.sample:
        return sample(args.kinds, args.sample_every)
    if args.all:
        return tiny.classes(kinds=args.kinds)
    if not args.model_types:
        raise options.UsageError("give MODEL_TYPE ..., --all or --sample")
    _check_types(args.model_types)
    found = tiny.classes(types=set(args.model_types), kinds=args.kinds)
    missing = sorted(set(args.model_types) - {t for t, _, _ in found})
    if missing:
        raise options.UsageError(
            f"MODEL_TYPE must have a {'/'.join(args.kinds)} class in transformers, got "
            f"{', '.join(map(repr, missing))}")
    return found


def _quiet():
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import warnings

    warnings.simplefilter("ignore")
    import transformers

    transformers.logging.set_verbosity_error()


def _limit(args):
    if args.max_params is not None:
        return args.max_params
    return SAMPLE_LIMIT if args.sample else tiny.PARAM_LIMIT


def _one(task, args):
    from . import model_check

    model_type, name, kind = task
    result = model_check.check(model_type, name, seed=args.seed, forward=not args.no_forward,
                               limit=_limit(args))
    return {"model_type": model_type, "class": name, "kind": kind, **result}


def _worker(args):
    """Read tasks as JSON lines on stdin; write one result line each on stdout."""
    import signal

    _quiet()

    def alarm(*_):
        raise TimeoutError(f"more than {args.timeout} s")

    signal.signal(signal.SIGALRM, alarm)
    for line in sys.stdin:
        task = json.loads(line)
        signal.alarm(args.timeout)
        try:
            row = _one(task, args)
        except TimeoutError as error:
            row = {"model_type": task[0], "class": task[1], "kind": task[2],
                   "status": "failed", "detail": f"timeout: {error}", "seconds": args.timeout}
        finally:
            signal.alarm(0)
        print(json.dumps(row), flush=True)
    return 0


def _run_chunk(todo, args, emit):
    """Run ``todo`` in worker processes; a worker that dies fails its task and the rest go on."""
    argv = [sys.executable, "-m", "fastinit", "check-model", WORKER_FLAG,
            "--seed", str(args.seed), "--timeout", str(args.timeout),
            "--max-params", str(_limit(args))]
    if args.no_forward:
        argv.append("--no-forward")
    while todo:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=_child_env())
        proc.stdin.write("".join(json.dumps(t) + "\n" for t in todo))
        proc.stdin.close()
        done = 0
        for line in proc.stdout:
            emit(json.loads(line))
            done += 1
        proc.wait()
        if done < len(todo):
            model_type, name, kind = todo[done]
            emit({"model_type": model_type, "class": name, "kind": kind, "status": "failed",
                  "detail": f"the worker process died (status {proc.returncode})",
                  "seconds": None})
            done += 1
        todo = todo[done:]


def _child_env():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "OMP_NUM_THREADS": "1",
            "PYTHONPATH": root + (os.pathsep + path if path else "")}


def run(todo, args, emit):
    """Check every task, in this process or in ``args.jobs`` workers; ``emit`` each result."""
    if args.jobs == 1:
        _quiet()
        for task in todo:
            emit(_one(task, args))
        return
    lock = threading.Lock()
    shares = [todo[i::args.jobs] for i in range(args.jobs)]

    def locked(row):
        with lock:
            emit(row)

    threads = [threading.Thread(target=_run_chunk, args=(share, args, locked))
               for share in shares if share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def summary(rows):
    """The closing note: how many are equal, raise a clear error, differ, fail, were skipped."""
    by = {}
    for r in rows:
        by.setdefault(r["status"], []).append(r)
    built = len(rows) - len(by.get("skipped", []))
    parts = [f"{len(by.get('equal', []))} of {built} built equal"]
    if by.get("clear error"):
        names = ", ".join(r["class"] for r in by["clear error"][:8])
        parts.append(f"{len(by['clear error'])} raise a clear error ({names}"
                     f"{', ...' if len(by['clear error']) > 8 else ''})")
    for status in ("differs", "failed"):
        if by.get(status):
            parts.append(f"{len(by[status])} {status}")
    parts.append(f"{len(by.get('skipped', []))} skipped (cannot be built from a small config, "
                 "or too large)")
    return "; ".join(parts)


def _line(row):
    params = "" if row.get("params") is None else f"{row['params'] / 1e6:.2f}M"
    seconds = "" if row.get("seconds") is None else f"{row['seconds']:.1f}"
    return (f"{row['model_type']:<28} {row['class']:<48} {params:>8} {seconds:>6}  "
            f"{row['status']:<12} {row.get('detail') or ''}")


def _main(args):
    if args.worker:
        return _worker(args)
    todo = tasks(args)
    rows, out = [], open(args.json, "w") if args.json else None
    start = time.perf_counter()
    print(f"{'model type':<28} {'class':<48} {'params':>8} {'s':>6}  {'result':<12} detail")

    def emit(row):
        rows.append(row)
        print(_line(row), flush=True)
        if out is not None:
            out.write(json.dumps(row) + "\n")
            out.flush()

    try:
        run(todo, args, emit)
    finally:
        if out is not None:
            out.close()
    print(f"\n{summary(rows)}; {time.perf_counter() - start:.0f} s")
    bad = [r for r in rows if r["status"] in ("differs", "failed")]
    return 1 if bad else 0


def main(argv=None):
    return options.run(parser(), argv, _main)
