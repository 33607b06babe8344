"""The ``seisbench-llm`` command line, called through ``main(argv)``."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pandas as pd
import seisbench.data as sbd
from test_diting import make_diting

from seisbench_llm import cli
from seisbench_llm.data.diting import DiTing


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    assert "convert-diting" in capsys.readouterr().out
    assert cli.main(["convert-diting", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("SRC", "DST", "--light", "--seed", "--split-by", "--overwrite", "not public"):
        assert option in text


def test_parser_does_not_import_lightning():
    """Building the parser (every ``--help``, every command's start) leaves the training stack
    unimported; commands import what they need when they run."""
    code = (
        "import sys; from seisbench_llm import cli; cli.build_parser(); "
        "sys.exit('lightning' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=300).returncode == 0


def test_usage_errors(capsys):
    assert cli.main([]) == 2
    assert "convert-diting" in capsys.readouterr().err
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["convert-diting"]) == 2
    assert "SRC" in capsys.readouterr().err


def test_convert_errors_are_messages(tmp_path, capsys):
    assert cli.main(["convert-diting", str(tmp_path / "missing"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error" in err and "not found" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    assert cli.main(["convert-diting", str(tmp_path / "empty"), str(tmp_path / "out")]) == 1
    assert "no DiTing files" in capsys.readouterr().err
    args = [
        "convert-diting",
        str(tmp_path / "empty"),
        str(tmp_path / "o"),
        "--fractions",
        "1",
        "1",
        "1",
    ]
    assert cli.main(args) == 1
    assert "sum to 1" in capsys.readouterr().err


def test_convert_diting(tmp_path, capsys):
    fixture = make_diting(tmp_path / "src")
    dst = tmp_path / "out"
    args = ["convert-diting", str(fixture.src), str(dst), "--light", "--seed", "3", "--no-progress"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "DiTing-light conversion" in out and "unknown_polarity" in out
    keys, _ = fixture.expected(light=True)
    assert list(DiTing(dst).metadata["trace_diting_key"]) == keys
    assert len(sbd.WaveformDataset(dst)) == len(keys)
    splits = pd.read_csv(dst / "metadata.csv")["split"]
    assert splits.value_counts()["train"] == int(0.8 * len(keys))
    # An existing dataset is kept unless --overwrite.
    assert cli.main(args) == 1
    assert "overwrite" in capsys.readouterr().err
    assert cli.main([*args, "--overwrite"]) == 0


def test_subcommand_registry():
    def add_hello_parser(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser("hello")
        parser.set_defaults(func=lambda args: 7)

    cli.COMMANDS.append(add_hello_parser)
    try:
        assert cli.main(["hello"]) == 7
    finally:
        cli.COMMANDS.remove(add_hello_parser)
