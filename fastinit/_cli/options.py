"""Command-line arguments shared by the commands, and the one way a command runs.

A bad option ends in one ``error:`` line on stderr and exit status 2, before
any work: argparse's own errors, the types below, and :class:`UsageError`
raised by a command once its options are parsed (for example a missing extra).
"""

import argparse
import importlib
import math
import os
import re
import sys

from .._engine import checks

# what a user runs from the checkout to get an extra's packages
EXTRA_INSTALL = 'pip install -e ".[{extra}]"'


class UsageError(Exception):
    """A bad option or a missing optional package: ``error: <message>``, exit status 2."""


def run(parser, argv, body):
    """Parse `argv` with `parser`, then return ``body(args)``; usage errors give 2."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return body(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _imports(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def require(modules, *, extra, needed_by):
    """Raise :class:`UsageError` naming the install command unless every module imports.

    `modules` maps import names to the names users install them by
    (``{"sklearn": "scikit-learn"}``).
    """
    missing = [dist for module, dist in modules.items() if not _imports(module)]
    if missing:
        raise UsageError(f"{needed_by} needs {' and '.join(missing)}, not installed; install "
                         f"the {extra!r} extra from the fastinit checkout: "
                         f"{EXTRA_INSTALL.format(extra=extra)}")


def _available_bytes():
    """MemAvailable from /proc/meminfo, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_memory(nbytes, asked_by):
    """Raise :class:`UsageError` if `nbytes` of buffers exceed the memory available."""
    available = _available_bytes()
    if available is not None and nbytes > available:
        raise UsageError(f"{asked_by} needs {nbytes / 2**30:.1f} GiB of buffers, more than the "
                         f"{available / 2**30:.1f} GiB of memory available")


def _integer(text):
    m = re.fullmatch(r"\s*([+-]?\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    return int(m.group(1))


def positive_int(text):
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def seed(text):
    value = _integer(text)
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**64), got {text!r}")
    return value


def n_threads(text):
    """A thread count as the library takes it: k > 0, or -k counting back from all cores."""
    try:
        return checks.check_n_threads(_integer(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a non-zero integer (-1: all usable cores), got {text!r}") from None


def number(low=-math.inf, *, low_open=False):
    """A finite float ``>= low`` (``> low`` if `low_open`)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > low if low_open else value >= low)
        if not ok:
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {text!r}")
        return value

    return parse


def subset(allowed):
    """A comma-separated, non-empty list of names from `allowed`, as a tuple."""
    def parse(text):
        names = tuple(n.strip() for n in text.split(","))
        bad = [n for n in names if n not in allowed]
        if bad or not text.strip():
            raise argparse.ArgumentTypeError(
                f"must be a comma-separated subset of {','.join(allowed)}, got {text!r}")
        return names

    return parse


def output_file(text):
    """A path whose directory exists and is writable, so a long run cannot fail at the end."""
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"must be a file in a writable directory, got {text!r}")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"must be a file, got the directory {text!r}")
    return text


def add_subset_option(p, flag, allowed):
    """``flag NAMES``: a comma-separated subset of `allowed` (default: all of them)."""
    p.add_argument(flag, type=subset(allowed), default=tuple(allowed), metavar="NAMES",
                   help=f"comma-separated subset of: {','.join(allowed)}")


def add_report_options(p, plotted):
    """``--json``, ``--plot FILE.png`` (drawing `plotted`) and ``--no-progress``."""
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--plot", type=output_file, metavar="FILE.png",
                   help=f"save {plotted} as a PNG (needs matplotlib: the 'diagnose' extra)")
    p.add_argument("--no-progress", action="store_true", help="never draw the progress line")
