"""agents_compat/options.py: a bad command-line value is refused where it is parsed, in one line naming it."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest

from agents_compat import options


@pytest.mark.parametrize(("text", "size"), [("8M", 8 * 1024**2), ("512k", 512 * 1024), ("1000000", 1000000),
                                            ("2 GiB", 2 * 1024**3), (" 1KB ", 1024)])  # fmt: skip
def test_byte_size_reads_units(text: str, size: int) -> None:
    assert options.byte_size(text) == size


@pytest.mark.parametrize("text", ["0", "0M", "-1", "8T", "eight", ""])
def test_byte_size_refuses_what_is_not_a_positive_size(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected a positive size"):
        options.byte_size(text)


def test_seconds_takes_positive_finite_numbers_only() -> None:
    assert options.seconds("0.25") == 0.25
    for text in ("0", "-1", "nan", "inf", "-inf", "soon"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"seconds, got {text!r}"):
            options.seconds(text)
    assert not math.isnan(options.seconds("1e3"))


def test_count_and_port_bounds() -> None:
    assert options.count("3") == 3
    for text in ("0", "-2", "1.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="positive whole number"):
            options.count(text)
    assert (options.port("0"), options.port("65535")) == (0, 65535)
    for text in ("65536", "-1", "http"):
        with pytest.raises(argparse.ArgumentTypeError, match="port from 0 to 65535"):
            options.port(text)


def test_report_dir_is_created_and_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    made = options.report_dir(str(tmp_path / "a" / "b"), "--report-dir")
    assert made.is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"^--report-dir .*file: not a folder$"):
        options.report_dir(str(blocker), "--report-dir")
    with pytest.raises(ValueError, match="cannot create it"):
        options.report_dir(str(blocker / "below"), "--report-dir")
