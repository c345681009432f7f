"""Print the pinned digests of tests/test_stability.py, computed by the fastinit imported.

    python tools/make_hashes.py [--backend auto|numba|cython]

Paste the printed ``DIGESTS`` into tests/test_stability.py only when a change of
values is intended (a change of the randomness contract, noted in
docs/contract.md). With PYTHONPATH pointing at another checkout it prints that
checkout's digests, so the two can be compared line by line.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_stability  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto", choices=["auto", "numba", "cython"])
    args = parser.parse_args(argv)
    print("DIGESTS = {")
    for name in test_stability.NAMES:
        print(f'    "{name}":\n        "{test_stability.digest(name, args.backend)}",')
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
