"""Run under torchrun by tests/test_torch_dtensor.py: DTensor placements, filled in place.

Every rank fills the local shard of DTensors with several placements on a 1-D
mesh (and a 2-D one when the world size is 4); the gathered tensor must equal
a single-process fill bit for bit, also when model code calls torch.nn.init
on DTensors inside fastinit.torch.patched(). A control fills shards without
their origin and must differ, so the comparison can fail.
"""

import sys

import numpy as np
import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard, distribute_tensor

import fastinit
import fastinit.torch as fit

FILLS = {
    "he_normal_": lambda t: fastinit.he_normal_(t, seed=1, stream="w"),
    "kaiming_uniform_": lambda t: fit.kaiming_uniform_(t, 5 ** 0.5, seed=1, stream="w"),
    "trunc_normal_": lambda t: fit.trunc_normal_(t, std=0.02, a=-0.04, b=0.04, seed=1),
    "orthogonal_": lambda t: fit.orthogonal_(t, seed=1),
    "keras_orthogonal_": lambda t: fastinit.orthogonal_(t, seed=1),
    "sparse_": lambda t: fit.sparse_(t, 0.3, seed=1),
    "embedding_normal_": lambda t: fit.embedding_normal_(t, padding_idx=7, seed=1),
    "eye_": fit.eye_,
    "ones_": fit.ones_,
}
SHAPE = (37, 23)  # uneven under 2, 3 and 4 ranks


def placements(world):
    one = [[Shard(0)], [Shard(1)], [Replicate()]]
    if world != 4:
        return [((world,), p) for p in one]
    two = [[Shard(0), Shard(1)], [Shard(1), Shard(0)], [Replicate(), Shard(0)],
           [Shard(0), Replicate()], [Shard(0), Shard(0)]]
    return [((world,), p) for p in one] + [((2, 2), p) for p in two]


def main():
    dist.init_process_group("gloo")
    world = dist.get_world_size()
    failures = 0
    for mesh_shape, placement in placements(world):
        mesh = init_device_mesh("cpu", mesh_shape)
        for name, fill in FILLS.items():
            dt = distribute_tensor(torch.zeros(SHAPE), mesh, placement)
            assert fill(dt) is dt
            expected = fill(torch.zeros(SHAPE))
            if not torch.equal(dt.full_tensor(), expected):
                failures += 1
                print(f"MISMATCH {name} {mesh_shape} {placement}", flush=True)
    # model code calling torch.nn.init on DTensors inside patched(): streams by call order
    mesh = init_device_mesh("cpu", (world,))
    with fit.patched(seed=3):
        dts = [torch.nn.init.kaiming_uniform_(distribute_tensor(torch.zeros(SHAPE), mesh, [p]))
               for p in (Shard(0), Shard(1))]
    with fit.patched(seed=3):
        singles = [torch.nn.init.kaiming_uniform_(torch.zeros(SHAPE)) for _ in range(2)]
    for dt, single in zip(dts, singles, strict=True):
        if not torch.equal(dt.full_tensor(), single):
            failures += 1
            print(f"MISMATCH patched {dt.placements}", flush=True)
    # control: a shard filled without its origin is not the same block of the full tensor
    dt = distribute_tensor(torch.zeros(SHAPE), mesh, [Shard(0)])
    fastinit.he_normal_(dt.to_local(), seed=1, stream="w", in_axis=1, out_axis=0)
    control_differs = not np.array_equal(dt.full_tensor().numpy(),
                                         fastinit.he_normal_(np.zeros(SHAPE, np.float32),
                                                             seed=1, stream="w"))
    if dist.get_rank() == 0:
        print(f"placements checked, {failures} mismatches, control differs: {control_differs}",
              flush=True)
    dist.barrier()  # every rank is done with gloo before any tears it down
    dist.destroy_process_group()
    return 0 if failures == 0 and control_differs else 1


if __name__ == "__main__":
    sys.exit(main())
