"""bench/small_ratios.py: small fills against their peers, alternating in one process."""

import os
import pathlib
import re
import subprocess
import sys

from conftest import require

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(.+?) +([\d.]+) us +([\d.]+) us +([\d.]+)$")


def test_one_line_per_pair_with_its_ratio():
    require("torch")
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "small_ratios.py"), "--rounds", "3",
         "--calls", "2"],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    rows = [LINE.match(line) for line in run.stdout.splitlines()[1:]]
    assert [r.group(1).split()[0] for r in rows if r] == [
        "he_uniform_", "fastinit.torch.kaiming_uniform_", "init_module"], run.stdout
    for r in rows:
        ours, theirs, ratio = (float(r.group(i)) for i in (2, 3, 4))
        assert ours > 0
        assert theirs > 0
        assert abs(ratio - ours / theirs) < 0.01 * ratio + 2e-3
