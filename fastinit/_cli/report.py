"""Printing the commands' results: plain-text tables, strict JSON, plots.

Every command prints through here, so tables look alike and JSON is always
strict. Plots are drawn by :mod:`fastinit._cli.plots`, which imports
matplotlib only when a plot is asked for.
"""

import json
import math
import sys


def plural(n, word):
    """``1 thread``, ``2 threads``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def json_safe(obj):
    """`obj` with every non-finite float replaced by None (strict JSON has no NaN)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dumps(doc):
    """Strict JSON text of `doc`, indented."""
    return json.dumps(json_safe(doc), indent=1, allow_nan=False)


def write_json(path, doc):
    with open(path, "w") as f:
        f.write(dumps(doc) + "\n")


def cell(value, spec=".2e"):
    """`value` formatted by `spec`; None as "-", non-finite floats as "nan"/"inf"/"-inf"."""
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format(value, spec)


def table(header, rows, *, indent="", text_last=False):
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned.

    With `text_last`, the last column is free text (a note, a verdict), left-aligned
    and unpadded. Returns the lines joined, without a trailing newline.
    """
    rows = [tuple(header)] + [tuple(r) for r in rows]
    n = len(header) - 1 if text_last else len(header)
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in
                                           zip(r[1:n], widths[1:], strict=True)]
        if text_last:
            cells.append(r[-1])
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def emit(report, *, as_json, text, plot=None, plot_path=None):
    """Print `report` as JSON (`as_json`) or ``text()``; then ``plot(report, plot_path)``."""
    print(dumps(report) if as_json else text())
    if plot_path:
        plot(report, plot_path)
        print(f"wrote {plot_path}", file=sys.stderr)
