"""``python -m fastinit diagnose``: tables, JSON, plots and option errors."""

import json

import pytest
from conftest import require

from fastinit import diagnose as dg
from fastinit._cli import diagnose as cli
from fastinit._cli.plots import plot_diagnose

ARGS = ["--depth", "3", "--width", "32", "--batch-size", "16", "--no-progress"]


def test_cli_table_and_json(capsys):
    args = [*ARGS, "--initializers", "zeros,he_normal", "--activations", "relu,sigmoid"]
    assert cli.main(args + ["--per-layer"]) == 0
    out = capsys.readouterr().out
    for text in ("== relu ==", "== sigmoid ==", "he_normal", "he_normal, relu, per layer:",
                 "    layer"):
        assert text in out
    assert cli.main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)  # strict JSON: NaN became null
    assert len(data["results"]) == 4
    zeros_relu = data["results"][0]
    assert zeros_relu["variance_ratio"] is None


def test_cli_rejects_unknown_initializer(capsys):
    assert cli.main(["--initializers", "orthogonal", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "error: argument --initializers: must be a comma-separated subset of" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_column_headers_are_never_repeated(depth, capsys):
    assert cli.main(["--depth", str(depth), "--width", "8", "--batch-size", "4",
                     "--no-progress", "--initializers", "he_normal", "--activations", "relu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1]
    for name in ("std L", "|dW| L", "var last/1", "grad 1/last"):
        header = header.replace(name, name.replace(" ", "_"))
    header = header.split()
    assert header[0] == "initializer"
    assert len(header) == len(set(header)), header
    assert "std_L1" in header
    assert f"std_L{depth}" in header
    assert len(lines[2].split()) == len(header)  # every column has its cell


def test_plot_is_a_valid_png(tmp_path):
    pil = require("PIL.Image", "matplotlib")
    path = tmp_path / "diag.png"
    report = dg.diagnose(depth=4, width=32, batch_size=16, activations=["relu", "tanh"])
    plot_diagnose(report, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(data) < 150_000
    with pil.open(path) as img:
        img.verify()
    with pil.open(path) as img:
        width, height = img.size
    assert width > 400
    assert height > 300
