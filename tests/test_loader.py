"""The scenario loader on files: malformed TOML, ``extends`` chains, the built-in library.

The fuzz tests write a scenario file and call ``load_scenario(path)``. The contract:
it returns :class:`~ci_sim.Params` or raises :class:`~ci_sim.ScenarioError`, nothing
else; every error names the file; an unknown key is named; an out-of-range value is
named with its allowed range.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ci_sim
from ci_sim import Params, ScenarioError, list_scenarios, load_scenario
from ci_sim.cli import _toml_key as _key
from ci_sim.cli import toml_value
from ci_sim.logics import Logic
from ci_sim.params import parameter_table
from ci_sim.scenarios import BOM, apply_overrides, scenario_dir
from tests.property import valid_overrides

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: The teaching scenarios and the case scenarios the library must hold.
TEACHING = (
    "default",
    "no_backbone",
    "captured_backbone",
    "free_floating_backbone",
    "growing_backbone",
    "tight_steering",
    "credit_taking",
    "no_sunset",
    "early_sunset_no_handover",
)
CASES = ("landskaber", "bo_trygt", "hjem_til_alle", "naboskab", "medvind")

LOGICS = tuple(lg.value for lg in Logic)
ROWS = {row["key"]: row for row in parameter_table()}
#: Numeric leaves with bounds: key -> (kind, low, high, low_is_strict).
RANGED = {
    key: (row["kind"], row["low"], row["high"], row["low_strict"])
    for key, row in ROWS.items()
    if row["kind"] in ("int", "float") and row["low"] is not None
}
BOOLS = tuple(key for key, row in ROWS.items() if row["kind"] == "bool")
#: Every table of a scenario, as key paths (``environment.shocks.0`` is a shock).
TABLES: tuple[tuple[str, ...], ...] = (
    ("meta",),
    ("simulation",),
    ("organisations",),
    ("organisations", "mix"),
    ("organisations", "names"),
    ("organisations", "profiles"),
    ("organisations", "profiles", "ngo"),
    ("backbone",),
    ("backbone", "effort"),
    ("governance",),
    ("environment",),
    ("environment", "shocks", "0"),
    ("mechanisms",),
)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")

_fresh = itertools.count()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loader")


def new_dir(root: Path) -> Path:
    """Return a new empty folder under ``root`` (one per hypothesis example)."""
    path = root / f"case{next(_fresh)}"
    path.mkdir()
    return path


# --- writing TOML ---------------------------------------------------------------------


def toml_text(table: dict[str, Any], path: tuple[str, ...] = ()) -> str:
    """Write a nested mapping as TOML with ``[a.b]`` headers for non-empty tables."""
    lines = [f"[{'.'.join(map(_key, path))}]"] if path else []
    subtables = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            subtables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}")
    text = "\n".join(lines) + "\n"
    return text + "".join(toml_text(value, (*path, key)) for key, value in subtables)


def set_path(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """Set ``value`` at ``path`` in a copy of ``raw``; a ``"0"`` part means a list item."""
    out = json.loads(json.dumps(raw))
    node: Any = out
    for i, part in enumerate(path[:-1]):
        if part == "0":
            node = node[0]
            continue
        default: Any = [{"kind": "funding_cut", "year": 2.0}] if path[i + 1] == "0" else {}
        if not isinstance(node.get(part), dict | list) or node.get(part) == []:
            node[part] = default
        node = node[part]
    if path[-1] == "0":
        node[0] = value
    else:
        node[path[-1]] = value
    return out


# --- cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One scenario file and what ``load_scenario`` must say about it.

    Attributes:
        text: the file's content (``bytes`` for binary junk).
        must_fail: whether the file is invalid for sure.
        names: texts every error message must contain (besides the file path).
        bounds: for an out-of-range value, the (low, high) range the message must state.
        kind: which mistake was drawn, for reading failures.
        extra: other files to write next to it (name -> text).
    """

    text: str | bytes
    must_fail: bool = False
    names: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None
    kind: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def check(case: Case, root: Path) -> None:
    """Write ``case`` to a file and assert the loader's contract on it."""
    folder = new_dir(root)
    for name, text in case.extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "scenario.toml"
    data = case.text if isinstance(case.text, bytes) else case.text.encode("utf-8")
    path.write_bytes(data)
    try:
        result = load_scenario(path)
    except ScenarioError as exc:
        message = str(exc)
        assert type(exc) is ScenarioError
        assert str(path) in message, f"{case.kind}: the error does not name the file"
        for text in case.names:
            assert text in message, f"{case.kind}: {text!r} not named"
        if case.bounds is not None:
            found = {float(x) for x in NUMBER.findall(message)}
            low, high = case.bounds
            assert "allowed range" in message, case.kind
            assert float(low) in found and float(high) in found, case.kind
        return
    assert isinstance(result, Params)
    assert not case.must_fail, f"{case.kind}: invalid file accepted"


# --- strategies -----------------------------------------------------------------------

_DEFAULT_RAW = tomllib.loads((scenario_dir() / "default.toml").read_text(encoding="utf-8"))
words = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True)


@st.composite
def valid_raw(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario as nested tables: empty, the default file, or some levers set."""
    choice = draw(st.sampled_from(["empty", "default", "levers"]))
    if choice == "empty":
        return {}
    if choice == "default":
        return json.loads(json.dumps(_DEFAULT_RAW))
    return apply_overrides({}, draw(valid_overrides()))


def _wrong_values(kind: str) -> st.SearchStrategy[Any]:
    tables = st.dictionaries(words, st.integers(0, 3), min_size=1, max_size=2)
    lists = st.lists(st.integers(0, 3), max_size=3)
    dates = st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1))
    junk = words.map(lambda w: "z" + w)
    common = [tables, lists, dates, junk]
    if kind == "float":
        return st.one_of(st.booleans(), st.just("0.5"), *common)
    if kind == "int":
        return st.one_of(st.booleans(), st.floats(2.5, 9.5), st.just("5"), *common)
    if kind == "bool":
        return st.one_of(st.integers(0, 1), st.sampled_from(["true", "no"]), *common[:3])
    # strings: allocation, host, meta text
    return st.one_of(st.integers(0, 3), st.floats(0, 1), st.booleans(), tables, dates)


_TYPED = {
    **{key: row["kind"] for key, row in ROWS.items() if row["kind"] in ("int", "float", "bool")},
    "backbone.allocation": "str",
    "backbone.host": "str",
    "meta.title": "str",
    "meta.description": "str",
    "meta.what_to_watch": "str",
}


@st.composite
def wrong_type(draw: st.DrawFn) -> Case:
    """A lever (every one of them) set to a value of the wrong type."""
    key = draw(st.sampled_from(sorted(_TYPED)))
    value = draw(_wrong_values(_TYPED[key]))
    raw = set_path(draw(valid_raw()), tuple(key.split(".")), value)
    return Case(toml_text(raw), True, (key,), kind=f"wrong_type {key}={value!r}")


def _outside(draw: st.DrawFn, kind: str, low: float, high: float, strict: bool) -> Any:
    if kind == "int":
        below, above = st.integers(-(2**62), int(low) - 1), st.integers(int(high) + 1, 2**62)
        return draw(st.one_of(below, above))
    below = st.floats(max_value=low, exclude_max=not strict, allow_nan=False)
    above = st.floats(min_value=high, exclude_min=True, allow_nan=False)
    return draw(st.one_of(below, above, st.just(math.nan)))


@st.composite
def out_of_range(draw: st.DrawFn) -> Case:
    """A numeric parameter (of any section) below or above its range, or NaN."""
    key = draw(st.sampled_from(sorted(RANGED)))
    kind, low, high, strict = RANGED[key]
    value = _outside(draw, kind, low, high, strict)
    raw = set_path(draw(valid_raw()), tuple(key.split(".")), value)
    return Case(toml_text(raw), True, (key,), (low, high), f"out_of_range {key}={value!r}")


#: Ranged values inside tables keyed by logic and inside lists: path -> (low, high, strict).
NESTED_RANGED: dict[tuple[str, ...], tuple[float, float, bool]] = {
    **{("organisations", "mix", lg): (0.0, 1e6, False) for lg in LOGICS},
    **{
        ("organisations", "profiles", "ngo", trait): (0.0, 1.0, False)
        for trait in ("routine", "mindset", "stake", "practice")
    },
    ("organisations", "profiles", "police", "size"): (0.0, 100.0, True),
    ("environment", "shocks", "0", "year"): (0.0, 200.0, False),
    ("environment", "policy_windows", "0"): (0.0, 200.0, False),
}


@st.composite
def nested_out_of_range(draw: st.DrawFn) -> Case:
    """A value out of range inside a table keyed by logic or inside a list."""
    path = draw(st.sampled_from(sorted(NESTED_RANGED)))
    low, high, strict = NESTED_RANGED[path]
    value = _outside(draw, "float", low, high, strict)
    if path[1] == "policy_windows":
        raw = {"environment": {"policy_windows": [value]}}
    else:
        raw = set_path({}, path, value)
    key = ".".join(path)
    return Case(toml_text(raw), True, (key,), (low, high), f"nested_out_of_range {key}")


def _model_keys(path: tuple[str, ...]) -> set[str]:
    """Return the keys allowed in the table at ``path`` (logics for logic-keyed tables)."""
    if path and path[-1] in ("mix", "names", "profiles"):
        return set(LOGICS)
    section: Any = Params
    for part in path:
        if part == "0":
            section = section.__args__[0]
            continue
        if part in LOGICS:
            section = section.__args__[1]
            continue
        section = section.model_fields[part].annotation
    return set(section.model_fields)


def _typo(draw: st.DrawFn, word: str) -> str:
    i = draw(st.integers(0, len(word) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "replace"]))
    if how == "drop" and len(word) > 2:
        return word[:i] + word[i + 1 :]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "replace":
        return word[:i] + draw(st.sampled_from("aeiouxz_")) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


@st.composite
def unknown_key(draw: st.DrawFn) -> Case:
    """A typo of a real key, or an invented key, at every level of a scenario."""
    path = draw(st.sampled_from(((), *TABLES)))
    allowed = _model_keys(path)
    if draw(st.booleans()):
        name = _typo(draw, draw(st.sampled_from(sorted(allowed))))
    else:
        name = draw(words)
    assume(name not in allowed and name != "extends")
    value = draw(st.one_of(st.integers(0, 3), st.floats(0, 1), words, st.just({"a": 1})))
    raw = set_path(draw(valid_raw()), (*path, name), value)
    if path and path[-1] in ("mix", "names", "profiles"):
        names: tuple[str, ...] = (name,)
    else:
        dotted = ".".join((*path, name))
        names = (f"unknown key {dotted!r}",)
    return Case(toml_text(raw), True, names, kind=f"unknown_key {path}+{name}")


@st.composite
def list_for_table(draw: st.DrawFn) -> Case:
    """A list (or array of tables, or a number) where a table is expected."""
    path = draw(st.sampled_from(TABLES))
    value = draw(
        st.one_of(
            st.lists(st.integers(0, 3), min_size=1, max_size=3),
            st.lists(st.just({"a": 1}), min_size=1, max_size=2),
            st.integers(0, 3),
            words.map(lambda w: "z" + w),
        )
    )
    raw = set_path(draw(valid_raw()), path, value)
    return Case(toml_text(raw), True, (".".join(path),), kind=f"list_for_table {path}")


@st.composite
def bad_extends(draw: st.DrawFn) -> Case:
    """``extends`` naming a missing file or an unknown scenario, or not a string."""
    rest = toml_text(draw(valid_raw()))
    case = draw(st.sampled_from(["missing_file", "unknown_name", "not_a_string", "builtin"]))
    if case == "missing_file":
        target = draw(st.sampled_from(["nothere.toml", "sub/nothere.toml", "../nothere.toml"]))
        return Case(f"extends = {json.dumps(target)}\n{rest}", True, kind=case)
    if case == "unknown_name":
        target = draw(st.one_of(words.map(lambda w: "zz" + w), st.just("defualt"), st.just("")))
        return Case(f"extends = {json.dumps(target)}\n{rest}", True, kind=case)
    if case == "not_a_string":
        target = draw(
            st.one_of(
                st.integers(-3, 3),
                st.floats(0, 1),
                st.booleans(),
                st.lists(st.just("default"), min_size=1, max_size=2),
                st.just({"name": "default"}),
                st.dates(dt.date(2000, 1, 1), dt.date(2001, 1, 1)),
            )
        )
        return Case(f"extends = {toml_value(target)}\n{rest}", True, ("extends",), kind=case)
    name = draw(st.sampled_from(TEACHING))
    return Case(f"extends = {json.dumps(name)}\n{rest}", kind=case)


_BUILTIN_TEXTS = tuple(
    (scenario_dir() / f"{name}.toml").read_text(encoding="utf-8") for name in list_scenarios()
)


@st.composite
def damaged_text(draw: st.DrawFn) -> Case:
    """A real scenario file truncated, with lines doubled, dropped, swapped, or junk added."""
    text = draw(st.one_of(st.sampled_from(_BUILTIN_TEXTS), valid_raw().map(toml_text)))
    lines = text.splitlines(keepends=True) or ["\n"]
    how = draw(st.sampled_from(["truncate", "double", "drop", "swap", "insert", "header"]))
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    if how == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "double":  # a duplicate key or a duplicate table header
        lines.insert(i, lines[j])
        text = "".join(lines)
    elif how == "drop":
        text = "".join(lines[:i] + lines[i + 1 :])
    elif how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
        text = "".join(lines)
    elif how == "insert":
        junk = draw(st.text(alphabet="[]{}=\"'#.,\\\n \t0123456789aez", min_size=1, max_size=5))
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + junk + text[pos:]
    else:
        lines.insert(i, draw(st.sampled_from(["[backbone]\n", "[[backbone]]\n", "[meta\n"])))
        text = "".join(lines)
    return Case(text, kind=f"damaged {how}")


def random_content() -> st.SearchStrategy[Case]:
    """Random bytes or random text."""
    return st.one_of(
        st.binary(max_size=200).map(lambda b: Case(b, kind="random bytes")),
        st.text(max_size=200).map(lambda t: Case(t, kind="random text")),
        st.text(alphabet="[]{}=\"'#.\n abckey0123", max_size=80).map(
            lambda t: Case(t, kind="toml-ish text")
        ),
    )


# --- fuzz tests -----------------------------------------------------------------------


@FUZZ
@given(case=st.one_of(random_content(), damaged_text()))
def test_random_and_damaged_files_raise_only_scenario_error(case: Case, scratch: Path) -> None:
    check(case, scratch)


@FUZZ
@given(case=wrong_type())
def test_wrong_type_for_every_lever_is_named(case: Case, scratch: Path) -> None:
    check(case, scratch)


@FUZZ
@given(case=out_of_range())
def test_out_of_range_names_key_and_allowed_range(case: Case, scratch: Path) -> None:
    check(case, scratch)


@FUZZ
@given(case=nested_out_of_range())
def test_out_of_range_inside_tables_and_lists_names_key_and_range(
    case: Case, scratch: Path
) -> None:
    check(case, scratch)


@FUZZ
@given(case=unknown_key())
def test_unknown_keys_and_typos_at_every_level_are_named(case: Case, scratch: Path) -> None:
    check(case, scratch)


@FUZZ
@given(case=list_for_table())
def test_lists_where_tables_are_expected_are_named(case: Case, scratch: Path) -> None:
    check(case, scratch)


@FUZZ
@given(case=bad_extends())
def test_bad_extends_raises_scenario_error_naming_the_file(case: Case, scratch: Path) -> None:
    check(case, scratch)


#: Number literals TOML reads but no parameter can hold (or Python cannot even convert).
EXTREME_LITERALS = (
    "9" * 5000,
    "-" + "9" * 5000,
    "1e999",
    "-1e999",
    "inf",
    "-inf",
    "nan",
    "5e-324",
    "-5e-324",
    "2.2250738585072014e-309",
)
#: Positive subnormal literals: allowed from 0, refused where the range is above 0.
SUBNORMAL = ("5e-324", "2.2250738585072014e-309")


@st.composite
def extreme_number(draw: st.DrawFn) -> Case:
    """A numeric parameter set to a huge, infinite, NaN or subnormal number literal."""
    key = draw(st.sampled_from(sorted(RANGED)))
    literal = draw(st.sampled_from(EXTREME_LITERALS))
    *tables, name = key.split(".")
    text = f"[{'.'.join(tables)}]\n{name} = {literal}\n"
    kind, _, _, strict = RANGED[key]
    if kind == "float" and not strict and literal in SUBNORMAL:  # tiny but allowed
        return Case(text, kind=f"subnormal {key}={literal}")
    names = () if len(literal) > 4300 else (key,)  # tomllib cannot say where 5000 digits are
    return Case(text, True, names, kind=f"extreme_number {key}={literal[:12]}")


def with_bom(case: Case) -> Case:
    """The same case saved with a UTF-8 byte-order mark, as Notepad saves files."""
    data = case.text if isinstance(case.text, bytes) else case.text.encode("utf-8")
    return replace(case, text=BOM + data, kind=f"BOM + {case.kind}")


#: Every kind of file the fuzz draws.
ALL_CASES = st.one_of(
    random_content(),
    damaged_text(),
    wrong_type(),
    out_of_range(),
    nested_out_of_range(),
    unknown_key(),
    list_for_table(),
    bad_extends(),
    extreme_number(),
)


@FUZZ
@given(case=extreme_number())
def test_extreme_numbers_raise_scenario_error_naming_the_key(case: Case, scratch: Path) -> None:
    check(case, scratch)


@settings(FUZZ, max_examples=100)
@given(case=ALL_CASES.map(with_bom))
def test_files_with_a_byte_order_mark_keep_the_contract(case: Case, scratch: Path) -> None:
    check(case, scratch)


@settings(FUZZ, max_examples=50)
@given(raw=valid_raw())
def test_valid_file_with_a_byte_order_mark_loads_as_without(
    raw: dict[str, Any], scratch: Path
) -> None:
    folder = new_dir(scratch)
    plain, bom = folder / "plain.toml", folder / "bom.toml"
    plain.write_text(toml_text(raw), encoding="utf-8")
    bom.write_bytes(BOM + toml_text(raw).encode("utf-8"))
    assert load_scenario(bom) == load_scenario(plain)


@pytest.mark.slow
@settings(FUZZ, max_examples=1000, derandomize=False)
@given(case=st.one_of(ALL_CASES, ALL_CASES.map(with_bom)))
def test_scenario_file_fuzz_1000_examples(case: Case, scratch: Path) -> None:
    check(case, scratch)


# --- examples the fuzz tests found ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("not utf-8", b"\xff\xfe[backbone]\nstaff = 2\n"),
        ("latin-1 text", "[meta]\ntitle = 'Bo Trygt i Århus'\n".encode("latin-1")),
        ("nested arrays", b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n"),
        ("nested inline tables", b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000 + b"\n"),
    ],
    ids=["not-utf8", "latin1", "nested-arrays", "nested-inline-tables"],
)
def test_unreadable_files_raise_scenario_error(kind: str, data: bytes, tmp_path: Path) -> None:
    check(Case(data, True, kind=kind), tmp_path)


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("nothere.toml", "nothere.toml"),
        ("defualt", "did you mean 'default'"),
        ("", "unknown scenario"),
    ],
    ids=["missing-file", "unknown-name", "empty-name"],
)
def test_extends_errors_name_the_extending_file(target: str, named: str, tmp_path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{target}"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert named in str(err.value)
    assert str(child) in str(err.value)


def test_unknown_key_in_a_shock_lists_the_allowed_keys(tmp_path: Path) -> None:
    path = tmp_path / "shock.toml"
    path.write_text('[[environment.shocks]]\nkind = "funding_cut"\nyear = 3\nkidn = 1\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "unknown key 'environment.shocks.0.kidn'" in message
    assert "did you mean 'environment.shocks.0.kind'" in message
    assert "allowed here: kind, year" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[organisations]\ninitiators = 99\n", "organisations.initiators"),
        ("[backbone]\nhost = [1]\n", "backbone.host"),
    ],
    ids=["initiators", "host"],
)
def test_union_errors_name_only_real_key_paths(text: str, key: str, tmp_path: Path) -> None:
    path = tmp_path / "union.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert key in message
    assert "list[str]" not in message, message


# --- extends --------------------------------------------------------------------------


def flat(table: Any, prefix: str = "") -> dict[str, Any]:
    """Return a nested mapping as dotted keys to leaf values (lists are leaves)."""
    if not isinstance(table, dict) or not table:
        return {prefix.rstrip("."): table}
    out: dict[str, Any] = {}
    for key, value in table.items():
        out.update(flat(value, f"{prefix}{key}."))
    return out


def differences(a: Params, b: Params) -> set[str]:
    """Return the dotted keys (meta excluded) where two scenarios differ."""
    fa, fb = flat(a.model_dump(exclude={"meta"})), flat(b.model_dump(exclude={"meta"}))
    return {key for key in fa.keys() | fb.keys() if fa.get(key) != fb.get(key)}


@functools.cache
def default_flat() -> dict[str, Any]:
    """Return the default scenario as dotted keys to values."""
    return flat(load_scenario("default").model_dump())


@st.composite
def one_change(draw: st.DrawFn) -> tuple[str, Any]:
    """A numeric or boolean parameter and a valid value other than the default's."""
    default = default_flat()
    key = draw(st.sampled_from(sorted((*RANGED, *BOOLS))))
    if key in BOOLS:
        return key, not default[key]
    kind, low, high, strict = RANGED[key]
    if kind == "int":
        value: Any = draw(st.integers(int(low), int(high)))
    else:
        value = draw(st.floats(low, high, exclude_min=strict, allow_subnormal=not strict))
    assume(value != default[key])
    # cross-field rules: effort shares are normalised together; the sunset follows the start
    assume(not key.startswith("backbone.effort."))
    assume(key != "backbone.sunset_year" or value > default["backbone.start_year"])
    assume(key != "backbone.start_year" or value < default["backbone.sunset_year"])
    return key, value


@settings(FUZZ, max_examples=100)
@given(change=one_change())
def test_child_of_default_differs_only_in_the_changed_key(
    change: tuple[str, Any], scratch: Path
) -> None:
    key, value = change
    path = new_dir(scratch) / "child.toml"
    path.write_text(f'extends = "default"\n{key} = {toml_value(value)}\n')
    child = load_scenario(path)
    assert differences(child, load_scenario("default")) == {key}


def test_chain_with_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "parents").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "a.toml").write_text(
        'extends = "parents/b.toml"\n[meta]\ntitle = "A"\n[backbone]\nstaff = 5.0\n'
    )
    (tmp_path / "parents" / "b.toml").write_text(
        'extends = "default"\n[backbone]\nstaff = 2.0\nhandover = false\n'
        "[governance]\ngoal_steering = 0.7\n"
    )
    monkeypatch.chdir(tmp_path / "elsewhere")  # paths are relative to the file, not the cwd
    a = load_scenario(tmp_path / "a.toml")
    assert a.meta.title == "A"
    assert a.backbone.staff == 5.0
    assert a.backbone.handover is False
    assert a.governance.goal_steering == 0.7
    assert differences(a, load_scenario("default")) == {
        "backbone.staff",
        "backbone.handover",
        "governance.goal_steering",
    }


def test_parent_paths_are_relative_to_the_parent_file(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "c.toml").write_text('extends = "no_sunset"\n[backbone]\nstaff = 4.0\n')
    (tmp_path / "deep" / "er" / "b.toml").write_text('extends = "../../c.toml"\n')
    (tmp_path / "a.toml").write_text('extends = "deep/er/b.toml"\n')
    a = load_scenario(tmp_path / "a.toml")
    assert a.backbone.staff == 4.0
    assert a.backbone.sunset_year == "none"


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle") as err:
        load_scenario(tmp_path / "a.toml")
    assert "a -> b -> a" in str(err.value)


def test_self_extension_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "a.toml"\n[backbone]\nstaff = 1.0\n')
    with pytest.raises(ScenarioError, match="cycle") as err:
        load_scenario(tmp_path / "a.toml")
    assert "a -> a" in str(err.value)


@pytest.mark.parametrize(
    ("target", "hint"), [("defualt", "default"), ("no_backbon", "no_backbone")]
)
def test_extending_an_unknown_name_suggests_the_closest(
    target: str, hint: str, tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text(f'extends = "{target}"\n')
    with pytest.raises(ScenarioError, match=f"did you mean '{hint}'"):
        load_scenario(tmp_path / "a.toml")


# --- the built-in library -------------------------------------------------------------

LIBRARY = sorted({*list_scenarios(), *TEACHING, *CASES})
CLAIM = re.compile(r"C\d+\.\d+")


def test_library_holds_the_teaching_and_case_scenarios() -> None:
    missing = sorted(set(TEACHING + CASES) - set(list_scenarios()))
    assert not missing, f"missing built-in scenarios: {missing}"


@pytest.mark.parametrize("name", LIBRARY)
def test_builtin_scenario_loads_with_meta(name: str) -> None:
    meta = load_scenario(name).meta
    assert meta.title.strip()
    assert meta.description.strip()
    assert meta.what_to_watch.strip()
    assert meta.sources
    assert all(isinstance(s, str) and s.strip() for s in meta.sources)
    for source in meta.sources:  # a claim id is written in full, e.g. C2.11
        if re.match(r"C\d", source):
            assert CLAIM.fullmatch(source), source


@pytest.mark.parametrize("name", LIBRARY)
def test_builtin_scenario_runs_one_year(name: str) -> None:
    result = ci_sim.run(name, years=1, seed=0)
    steps_per_year = result.params.simulation.steps_per_year
    assert len(result.metrics) == steps_per_year + 1
    assert result.params.meta == load_scenario(name).meta


@pytest.mark.parametrize("name", TEACHING[1:])
def test_teaching_scenario_changes_only_what_its_file_sets(name: str) -> None:
    raw = tomllib.loads((scenario_dir() / f"{name}.toml").read_text(encoding="utf-8"))
    assert raw.get("extends") == "default"
    own = {k for k in flat(raw) if not k.startswith("meta.") and k != "extends"}
    changed = differences(load_scenario(name), load_scenario("default"))
    assert changed
    assert changed <= own
