"""Fuzz of the command line: ``ci-sim run SCENARIO --seed S --years Y --set KEY=VALUE ...``.

``ci_sim.cli.main`` is called in-process with random keys (known, inside tables,
unknown, random text) and random value texts (TOML numbers, NaN, infinities, huge and
negative numbers, text, lists, inline tables, empty values, a missing ``=``), random
seeds and run lengths. The contract: exit code 0 with the run's files written and
nothing on stderr, or exit code 2 with exactly one ``ci-sim: error:`` line on stderr and
nothing on stdout. No traceback, no other exit code.

The default suite runs a small derandomized fuzz; ``make test-slow`` runs 1,000
examples.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_sim import list_scenarios
from ci_sim.cli import RUN_FILES, main
from tests.test_fuzz_api import FUZZ, ROWS, keys

#: Value texts as a user might type them after ``KEY=``.
VALUE_TEXTS = (
    "",
    " ",
    "=",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "1e999",
    "-1e999",
    "1e-999",
    "0",
    "-0",
    "-1",
    "0.5",
    "1",
    "2",
    "1_000",
    "0x10",
    "9" * 5000,
    "-" + "9" * 5000,
    "9" * 40,
    "true",
    "false",
    "True",
    '"none"',
    "none",
    '"fixed"',
    "adaptive",
    '"ngo"',
    "[]",
    "[1, 2]",
    '["ngo", "police"]',
    "[[1]]",
    "{}",
    "{ ngo = 1 }",
    '{ kind = "funding_cut", year = 2 }',
    "[{ kind = 'leader_wave', year = 0.5 }]",
    "1979-05-27",
    '"unterminated',
    "[1,",
    "{ a = ",
    "'single'",
    "\\u0000",
)
SEED_TEXTS = ("0", "1", "42", "4294967295", "18446744073709551616", "-1", "x", "1.5", "", "1e3")
YEAR_TEXTS = ("0.25", "0.5", "1", "0", "0.01", "-1", "nan", "inf", "x", "", "201", "1e999")
SHORT_YEARS = ("0.25", "0.5", "1")
NUMERIC = ("int", "float")


def in_range_text(key: str) -> st.SearchStrategy[str]:
    """A value text inside the key's bounds (so that many runs go through)."""
    row = ROWS.get(key)
    if row is None or row["low"] is None or row["kind"] not in ("int", "float"):
        return st.sampled_from(VALUE_TEXTS)
    if row["kind"] == "int":
        return st.integers(row["low"], min(row["high"], row["low"] + 10)).map(str)
    return st.floats(row["low"], row["high"], exclude_min=row["low_strict"]).map(repr)


@st.composite
def assignment(draw: st.DrawFn) -> str:
    """One ``--set`` argument: ``KEY=VALUE`` (or a malformed one)."""
    key = draw(keys())
    value = draw(st.one_of(in_range_text(key), st.sampled_from(VALUE_TEXTS), st.text(max_size=10)))
    return draw(st.sampled_from([f"{key}={value}", f"{key} = {value}", key or "=", f"={value}"]))


@st.composite
def good_assignment(draw: st.DrawFn) -> str:
    """``KEY=VALUE`` for a known numeric key with a value text inside its bounds."""
    key = draw(st.sampled_from(sorted(k for k, r in ROWS.items() if r["kind"] in NUMERIC)))
    return f"{key}={draw(in_range_text(key))}"


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A ``run`` command line with random scenario, seed, length and ``--set`` options.

    Half lean to valid input (built-in scenario, good seed, short run, in-range values)
    so that runs happen; half are anything.
    """
    good = draw(st.booleans())
    names = st.sampled_from(list_scenarios())
    scenario = draw(names if good else st.one_of(names, st.just("no_such_scenario")))
    seed = draw(st.sampled_from(SEED_TEXTS[:3] if good else SEED_TEXTS))
    years = draw(st.sampled_from(SHORT_YEARS if good else YEAR_TEXTS))
    sets = draw(st.lists(good_assignment() if good else assignment(), max_size=3))
    argv = ["run", scenario, "--seed", seed, "--years", years]
    for text in sets:
        argv += ["--set", text]
    return argv


def call_main(argv: list[str], out: Path) -> str:
    """Call ``main`` with ``argv`` writing into ``out``; assert the contract.

    ``out`` is emptied first, so the files a successful run must write are this run's.
    """
    shutil.rmtree(out, ignore_errors=True)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([*argv, "--out", str(out)])
    err = stderr.getvalue()
    assert "Traceback" not in err, err
    if code == 0:
        assert err == "", err
        assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
        return "ok"
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ci-sim: error: "), err
    assert stdout.getvalue() == ""
    return "refused"


def fuzz(examples: int, derandomize: bool, out: Path) -> Counter[str]:
    """Run ``examples`` fuzzed command lines; count "ok" and "refused" outcomes."""
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=examples, derandomize=derandomize)
    @given(argv=command_lines())
    def one(argv: list[str]) -> None:
        seen[call_main(argv, out)] += 1

    one()
    return seen


def test_cli_set_fuzz_exits_0_or_2_with_one_line(tmp_path: Path) -> None:
    seen = fuzz(40, derandomize=True, out=tmp_path / "run")
    assert seen["ok"] >= 5, seen
    assert seen["refused"] >= 10, seen


@pytest.mark.slow
def test_cli_set_fuzz_1000_examples(tmp_path: Path) -> None:
    seen = fuzz(1000, derandomize=False, out=tmp_path / "run")
    print(f"CLI --set fuzz: {seen['ok']} runs, {seen['refused']} refused")
    assert seen.total() >= 1000, seen
    assert seen["ok"] >= 50, seen


@pytest.mark.parametrize(
    "value",
    ["9" * 5000, "-" + "9" * 5000, "1e999", "nan", "[1,", "\\u0000"],
    ids=["5000-digits", "minus-5000-digits", "1e999", "nan", "broken-list", "nul"],
)
def test_set_with_extreme_value_texts(value: str, tmp_path: Path) -> None:
    argv = ["run", "default", "--years", "0.25", "--set", f"backbone.staff={value}"]
    assert call_main(argv, tmp_path / "run") == "refused"
