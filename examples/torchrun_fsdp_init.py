"""Initialize a sharded decoder in place under torchrun, and check it bit for bit.

Build a Llama-style decoder on the meta device, shard it (FSDP2 ``fully_shard``
on a 1-D mesh, or tensor parallel plus FSDP on a 2-D ``dp x tp`` mesh),
materialize it empty on the CPU, then ``fastinit.torch.init_module``: every
rank fills only its shards. Rank 0 then gathers every parameter and compares
it with a single-process ``init_module`` of the same model.

    torchrun --nproc-per-node 2 examples/torchrun_fsdp_init.py
    torchrun --nproc-per-node 4 examples/torchrun_fsdp_init.py --mesh 2x2

Exits with status 1 if any gathered tensor differs from the single-process one.
"""

import argparse
import os
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor
from torch.distributed.tensor.parallel import (
    ColwiseParallel,
    RowwiseParallel,
    parallelize_module,
)

import fastinit.torch as fit


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.attn_norm = nn.RMSNorm(dim)
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)
        self.mlp_norm = nn.RMSNorm(dim)
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=True)
        self.down_proj = nn.Linear(hidden, dim, bias=False)


class Decoder(nn.Module):
    def __init__(self, vocab, dim, hidden, layers):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim, padding_idx=0)
        self.layers = nn.ModuleList(Block(dim, hidden) for _ in range(layers))
        self.norm = nn.RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)


TP_PLAN = {"q_proj": ColwiseParallel(), "k_proj": ColwiseParallel(),
           "v_proj": ColwiseParallel(), "o_proj": RowwiseParallel(),
           "gate_proj": ColwiseParallel(), "up_proj": ColwiseParallel(),
           "down_proj": RowwiseParallel()}


def shard(model, mesh_shape):
    """FSDP2 on a 1-D mesh; tensor parallel on "tp" then FSDP2 on "dp" for a 2-D mesh."""
    if len(mesh_shape) == 1:
        dp_mesh = init_device_mesh("cpu", mesh_shape)
    else:
        mesh = init_device_mesh("cpu", mesh_shape, mesh_dim_names=("dp", "tp"))
        dp_mesh = mesh["dp"]
        for block in model.layers:
            parallelize_module(block, mesh["tp"], TP_PLAN)
    for block in model.layers:
        fully_shard(block, mesh=dp_mesh)
    fully_shard(model, mesh=dp_mesh)
    return model


def gather(model):
    """Every parameter and buffer as a full CPU tensor (collective: all ranks call it)."""
    return {name: t.full_tensor() if isinstance(t, DTensor) else t.detach()
            for name, t in model.state_dict().items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesh", default=None, help="'N' (FSDP) or 'DPxTP'; default: world")
    parser.add_argument("--vocab", type=int, default=515)
    parser.add_argument("--dim", type=int, default=70)
    parser.add_argument("--hidden", type=int, default=187)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=1, help="fill threads per rank")
    args = parser.parse_args(argv)

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    mesh_shape = tuple(int(n) for n in (args.mesh or str(world)).split("x"))
    sizes = (args.vocab, args.dim, args.hidden, args.layers)

    with torch.device("meta"):
        model = shard(Decoder(*sizes), mesh_shape)
    model.to_empty(device="cpu")
    dist.barrier()
    start = time.perf_counter()
    fit.init_module(model, seed=args.seed, n_threads=args.threads)
    seconds = time.perf_counter() - start
    local = sum(p.to_local().numel() if isinstance(p, DTensor) else p.numel()
                for p in model.parameters())
    print(f"rank {rank}/{world} mesh {mesh_shape}: {local} local elements "
          f"initialized in {seconds * 1e3:.1f} ms", flush=True)

    full = gather(model)
    ok = True
    if rank == 0:
        reference = fit.init_module(Decoder(*sizes), seed=args.seed).state_dict()
        for name, expected in reference.items():
            if not torch.equal(full[name], expected):
                print(f"MISMATCH {name}", flush=True)
                ok = False
        print(f"{len(reference)} tensors gathered: "
              f"{'bit-identical to' if ok else 'DIFFERENT from'} the single-process init",
              flush=True)
    flag = torch.tensor([int(ok)])
    dist.broadcast(flag, 0)
    dist.barrier()  # every rank is done with gloo before any tears it down
    dist.destroy_process_group()
    return 0 if flag.item() else 1


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    code = main()
    # Leave without interpreter finalization: Gloo's C++ worker threads can
    # still hold work objects whose tensors reference Python, and tearing them
    # down then aborts the process ("terminate called without an active
    # exception") on a loaded machine, after every check above has passed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
