"""``python -m fastinit checkpoint``: a freshly initialized Hugging Face checkpoint.

Writes ``model.safetensors`` (or shards and ``model.safetensors.index.json``)
and ``config.json`` for a Hugging Face ``config.json``, out of core,
resumable, from any number of processes (``--num-workers/--worker-index``, or
torchrun's ``WORLD_SIZE``/``RANK``). See ``fastinit.checkpoint.write``.
"""

import argparse
import os
import sys

_DTYPES = ("bfloat16", "float32", "float16")


def add_arguments(p):
    """The command's options, on an existing parser (or subparser)."""
    p.add_argument("--config", required=True,
                   help="a Hugging Face config.json (or a directory holding one)")
    p.add_argument("--out", required=True, help="output directory (empty, or an unfinished run)")
    p.add_argument("--dtype", choices=_DTYPES, default="bfloat16")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rules", choices=("hf", "torch"), default="hf",
                   help="initialization rules, as fastinit.torch.init_module (default hf)")
    p.add_argument("--max-shard-size", default="5GB",
                   help='largest shard: bytes, "5GB" (10**9) or "4GiB" (2**30); default 5GB')
    p.add_argument("--num-workers", type=int, default=None,
                   help="processes sharing the work (default: $WORLD_SIZE or 1)")
    p.add_argument("--worker-index", type=int, default=None,
                   help="this process's share, 0-based (default: $RANK or 0)")
    p.add_argument("--verify", nargs="?", const="sampled", choices=("sampled", "full"),
                   help="then recompute and compare: three windows per tensor (sampled, the "
                        "default) or every byte (full)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _workers(args):
    if args.num_workers is None and args.worker_index is None and "WORLD_SIZE" in os.environ:
        return int(os.environ["WORLD_SIZE"]), int(os.environ.get("RANK", "0"))
    return (1 if args.num_workers is None else args.num_workers,
            0 if args.worker_index is None else args.worker_index)


def main(argv=None):
    p = add_arguments(argparse.ArgumentParser(
        prog="python -m fastinit checkpoint",
        description="Write a freshly initialized safetensors checkpoint, out of core."))
    args = p.parse_args(argv)
    from .. import checkpoint

    num_workers, worker_index = _workers(args)
    common = dict(seed=args.seed, dtype=args.dtype, rules=args.rules,
                  max_shard_size=args.max_shard_size)
    try:
        summary = checkpoint.write(args.out, args.config, num_workers=num_workers,
                                   worker_index=worker_index, progress=not args.quiet, **common)
        print(summary)
        if args.verify:
            if not checkpoint.is_complete(args.out):
                print("verify: skipped, other workers are still writing; run the same command "
                      "with --verify once all have finished")
            else:
                print(checkpoint.verify(args.out, args.config, full=args.verify == "full",
                                        **common))
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
