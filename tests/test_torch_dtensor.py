"""Sharded init under torchrun (gloo, CPU): every rank fills only its shards.

Runs examples/torchrun_fsdp_init.py (FSDP2 on 2 and 3 ranks, tensor parallel
plus FSDP2 on a 2x2 mesh) and tests/torchrun_placements.py (distribute_tensor
with Shard/Replicate placements, uneven, 1-D and 2-D meshes); each gathers
the result and compares it bit for bit with a single-process init.
"""

import os
import pathlib
import subprocess
import sys

import pytest
from conftest import require

require("torch")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def torchrun(nproc, script, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", str(script), *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize(("nproc", "args"),
                         [(2, ("--threads", "2")), (3, ()), (4, ("--mesh", "2x2"))],
                         ids=["fsdp-2", "fsdp-3-uneven", "tp-fsdp-2x2"])
def test_fsdp_example_is_bit_identical_to_single_process(nproc, args):
    out = torchrun(nproc, ROOT / "examples" / "torchrun_fsdp_init.py", *args)
    assert "bit-identical to the single-process init" in out
    assert out.count("local elements initialized") == nproc


@pytest.mark.parametrize("nproc", [3, 4])
def test_distribute_tensor_placements_fill_their_shards(nproc):
    out = torchrun(nproc, ROOT / "tests" / "torchrun_placements.py")
    assert "0 mismatches, control differs: True" in out
