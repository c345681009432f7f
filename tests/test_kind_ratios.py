"""bench/kind_ratios.py: every kind of fill timed against the normal fill in one process."""

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINE = re.compile(r"^cython (\w+) +wall ([\d.]+) +cpu ([\d.]+) +/ normal ([\d.]+) ([\d.]+)$")


def test_one_line_per_kind_with_its_ratio_to_the_normal_fill():
    # the Cython rows only: the Numba ones would compile the kernels first
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "kind_ratios.py"), "--backend", "cython",
         "--size", "16", "--threads", "1", "--rounds", "3"],
        capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    rows = [LINE.match(line) for line in run.stdout.splitlines()[1:]]
    assert [r.group(1) for r in rows if r] == ["bits", "uniform", "normal", "he_normal",
                                                "trunc2", "trunc100"], run.stdout
    rates = {r.group(1): [float(r.group(i)) for i in (2, 3, 4, 5)] for r in rows}
    assert rates["normal"][2:] == [1.0, 1.0]
    for wall, cpu, wall_ratio, _ in rates.values():
        assert wall > 0
        assert cpu > 0
        assert abs(wall_ratio - wall / rates["normal"][0]) < 0.01 * wall_ratio + 1e-3
