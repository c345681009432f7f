"""``python -m fastinit checkpoint``: a freshly initialized safetensors checkpoint.

Writes what transformers' ``save_pretrained`` writes (``model.safetensors``
or shards and ``model.safetensors.index.json``, ``config.json``, and
``generation_config.json`` for a model that generates) for a Hugging Face
``config.json``, or for the built-in spec (``--params``, ``--layers``): the
main job's decoder as a GPT-2 (``GPT2Config``) of its sizes, out of core,
resumable, from any number of processes (``--num-workers`` and
``--worker-index``, or torchrun's ``WORLD_SIZE`` and ``RANK``). See
``fastinit.checkpoint.write``.
"""

import argparse
import os

from . import model, options

DTYPES = ("bfloat16", "float32", "float16")


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit checkpoint",
        description="Write a freshly initialized safetensors checkpoint, out of core and "
                    "resumable: run the same command again to finish an interrupted one.")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory: empty, or an unfinished run of the same arguments")
    src = p.add_argument_group("model (a Hugging Face config, else the built-in spec: the main "
                               "job's decoder as a GPT-2 of its sizes)")
    src.add_argument("--config", metavar="CONFIG.json",
                     help="a Hugging Face config.json, or a directory holding one")
    src.add_argument("--params", type=options.number(1e5), default=250e6,
                     help="built-in spec: target parameter count (default 250e6)")
    src.add_argument("--layers", type=options.positive_int, default=16,
                     help="built-in spec: transformer blocks (default 16)")
    p.add_argument("--dtype", choices=DTYPES, default="bfloat16")
    p.add_argument("--seed", type=options.seed, default=0, help="in [0, 2**64) (default 0)")
    p.add_argument("--rules", choices=("hf", "torch"), default="hf",
                   help="the rules of fastinit.torch.init_module (default hf)")
    p.add_argument("--max-shard-size", default="5GB", metavar="SIZE",
                   help='largest shard: bytes, "5GB" (10**9) or "4GiB" (2**30); default 5GB')
    p.add_argument("--num-workers", type=options.positive_int, default=None, metavar="N",
                   help="processes sharing the work (default: $WORLD_SIZE, else 1)")
    p.add_argument("--worker-index", type=int, default=None, metavar="I",
                   help="this process's share, 0 to N-1 (default: $RANK, else 0)")
    p.add_argument("--verify", nargs="?", const="sampled", choices=("sampled", "full"),
                   help="then recompute and compare: three windows of every tensor (sampled, "
                        "the default) or every byte (full)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _workers(args):
    if args.num_workers is None and args.worker_index is None and "WORLD_SIZE" in os.environ:
        return int(os.environ["WORLD_SIZE"]), int(os.environ.get("RANK", "0"))
    return (1 if args.num_workers is None else args.num_workers,
            0 if args.worker_index is None else args.worker_index)


def spec_config(params, layers):
    """The built-in spec as a transformers ``GPT2Config``: the main job's decoder, same sizes.

    GPT-2 has the main job's parameters, shapes and ``(in, out)`` layout (token
    and position embeddings, pre-LayerNorm blocks with biases, 4x MLP, a final
    LayerNorm, the head tied to the token embedding), so it holds
    ``model.spec(width, layers)`` parameter for parameter; heads are 64 wide.
    """
    from transformers import GPT2Config

    width = model.d_model_for(params, layers)
    return GPT2Config(vocab_size=model.VOCAB, n_positions=model.CONTEXT, n_embd=width,
                      n_layer=layers, n_head=width // 64)


def _body(args):
    needed = {"safetensors": "safetensors", "tqdm": "tqdm", "torch": "torch",
              "transformers": "transformers"}
    options.require(needed, extra="checkpoint", needed_by="checkpoint")
    from .. import checkpoint

    src = args.config if args.config is not None else spec_config(args.params, args.layers)
    num_workers, worker_index = _workers(args)
    common = dict(seed=args.seed, dtype=args.dtype, rules=args.rules,
                  max_shard_size=args.max_shard_size)
    try:
        print(checkpoint.write(args.out, src, num_workers=num_workers, worker_index=worker_index,
                               progress=not args.quiet, **common), flush=True)
        if args.verify and not checkpoint.is_complete(args.out):
            print("verify: skipped, other workers are still writing; run the same command "
                  "with --verify once all have finished")
        elif args.verify:
            print(checkpoint.verify(args.out, src, full=args.verify == "full", **common))
    except (ValueError, TypeError) as err:
        raise options.UsageError(str(err)) from None
    return 0


def main(argv=None):
    return options.run(parser(), argv, _body)
