"""bench/ab_trees.py: two checkouts timed side by side in one process."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINE = re.compile(r"^cython (\w+) +2\*\*16 1 thread\(s\): old ([\d.]+) +new ([\d.]+) Gs/s "
                  r"+new/old ([\d.]+)$")


def test_a_tree_against_itself_prints_one_line_per_kind():
    # the Cython rows only: the Numba ones would compile into the tool's own cache
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ab_trees.py"), str(ROOT), str(ROOT),
         "--backend", "cython", "--sizes", "16", "--threads", "1", "--rounds", "3"],
        capture_output=True, text=True, timeout=120, check=True)
    rows = [LINE.match(line) for line in run.stdout.splitlines()[1:]]
    assert [r.group(1) for r in rows if r] == ["bits", "uniform", "normal", "truncated",
                                                "trunc100"], run.stdout
    for r in rows:
        old, new, ratio = (float(r.group(i)) for i in (2, 3, 4))
        assert old > 0
        assert new > 0
        assert abs(ratio - new / old) < 0.01 * ratio + 1e-3


def test_both_trees_are_their_own_packages():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import ab_trees
    finally:
        sys.path.remove(str(ROOT / "bench"))
    old = ab_trees.load("fi_ab_old", ROOT)
    new = ab_trees.load("fi_ab_new", ROOT)
    assert old is not new
    assert old.random_normal_ is not new.random_normal_
    assert old.__name__ == "fi_ab_old"
    assert new.__name__ == "fi_ab_new"
