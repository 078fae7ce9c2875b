"""Scenario loader: TOML files in ``scenarios/``, mappings, and dotted overrides.

Everything that can go wrong with user input ends as a :class:`ScenarioError` (a
``ValueError``) whose message names the source, the key path and what is allowed.
"""

from __future__ import annotations

import difflib
import functools
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ci_sim.params import Params, _bounds, parameter_table
from ci_sim.scenario_files import (  # noqa: F401 - re-exported
    BOM,
    ScenarioError,
    list_scenarios,
    read_toml_text,
    scenario_dir,
)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return read_toml_text(path)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}); save as UTF-8") from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply to be a scenario") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read file: {exc.strerror}") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ScenarioError(f"{path}: not a valid TOML value: {exc}") from None


def _resolve_source(
    scenario: str | Path | Mapping[str, Any], base: Path | None = None
) -> tuple[dict[str, Any], str, Path | None]:
    """Return the raw mapping of a scenario, a label naming its source, and its path.

    A string ending in ``.toml`` (or naming an existing file) is a path, relative to
    ``base`` when given; any other string names a built-in scenario.

    Raises:
        ScenarioError: for an unknown name, an unreadable file or a value that is no
            scenario at all (a number, a list ...).
    """
    if isinstance(scenario, Mapping):
        return _plain(scenario), "<mapping>", None
    if not isinstance(scenario, str | Path):
        raise ScenarioError(
            f"scenario {_short(scenario)}: expected a built-in name, a .toml path, a mapping "
            f"or Params, not {type(scenario).__name__}"
        )
    text = str(scenario)
    path = Path(text)
    if base is not None and not path.is_absolute():
        path = base / path
    if text.endswith(".toml") or path.is_file():
        return _read_toml(path), str(scenario), path
    candidate = scenario_dir() / f"{text}.toml"
    if candidate.exists():
        label = f"scenario {text!r} (scenarios/{text}.toml)"
        return _read_toml(candidate), label, candidate
    names = list_scenarios()
    hint = difflib.get_close_matches(text, names, n=1)
    did = f"; did you mean {hint[0]!r}?" if hint else ""
    raise ScenarioError(
        f"unknown scenario {text!r}{did} (built-in: {', '.join(names)}; or a .toml path)"
    )


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Return ``parent`` updated by ``child``: tables merge, other values replace."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_extends(
    raw: dict[str, Any], label: str, path: Path | None, chain: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Resolve ``extends = "NAME"`` chains: the child's keys override its parent's.

    Raises:
        ScenarioError: a parent that cannot be found, a non-string ``extends``, or a cycle.
    """
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise ScenarioError(f"{label}: extends = {parent_ref!r}: must be a scenario name or path")
    base = path.parent if path is not None else None
    try:
        parent_raw, parent_label, parent_path = _resolve_source(parent_ref, base)
    except ScenarioError as exc:
        raise ScenarioError(f"{label}: extends = {parent_ref!r}: {exc}") from None
    ident = str(parent_path.resolve()) if parent_path is not None else parent_label
    own = str(path.resolve()) if path is not None else label
    chain = chain or (own,)
    if ident in chain:
        names = [Path(c).stem for c in (*chain, ident)]
        raise ScenarioError(f"{label}: extends cycle: {' -> '.join(names)}")
    parent = _resolve_extends(parent_raw, parent_label, parent_path, (*chain, ident))
    return _merge(parent, raw)


def _plain(obj: Any) -> Any:
    """Deep-copy mappings into plain dicts (lists copied too).

    numpy scalars (``np.int64(10)``, ``np.float64``, ``np.bool_`` as ``np.arange`` and
    pandas give them) become the Python numbers they hold, and numpy arrays become
    lists, so that they are accepted wherever a Python value is.
    """
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return _python_value(obj)


def _python_value(obj: Any) -> Any:
    """Return the Python value of a numpy scalar or array (duck-typed), else ``obj``."""
    if type(obj).__module__ != "numpy" or not hasattr(obj, "tolist"):
        return obj
    try:
        value = obj.tolist()
    except (TypeError, ValueError):
        return obj
    return [_plain(v) for v in value] if isinstance(value, list) else value


def _key_text(key: Any) -> str:
    """Return a dotted key as written, or quoted when it is empty, blank or unprintable."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def _short(value: Any, limit: int = 60) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters (huge numbers, long lists)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (sys.get_int_max_str_digits)
        digits = value.bit_length() * 0.30103 if isinstance(value, int) else 0
        text = f"<an int of about {digits:.0f} digits>" if digits else type(value).__name__
    return text if len(text) <= limit else text[: limit - 5] + "[...]"


def apply_overrides(
    raw: dict[str, Any], overrides: Mapping[str, Any] | None, source: str = "overrides"
) -> dict[str, Any]:
    """Return a copy of ``raw`` with dotted-key ``overrides`` set.

    Args:
        raw: a scenario as nested mappings.
        overrides: e.g. ``{"backbone.sunset_year": 8}``.
        source: label used in error messages.

    Raises:
        ScenarioError: a key path runs through a value that is not a table.
    """
    out = _plain(raw)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ScenarioError(
            f"{source}: overrides must map dotted keys to values, e.g. "
            f"{{'backbone.staff': 2}}, not {type(overrides).__name__}"
        )
    for key, value in (overrides or {}).items():
        parts = str(key).split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(f"{source}: {key}: {where} is a value, not a table")
            node = nxt
        node[parts[-1]] = _plain(value)
    return out


def _unwrap(annotation: Any) -> Any:
    """Return the model class inside an optional or union annotation, if any."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def _annotation_at(loc: tuple[Any, ...]) -> Any:
    """Return the annotation of :class:`Params` at ``loc`` (through dicts and lists)."""
    current: Any = Params
    for part in loc:
        if get_origin(current) is dict:
            current = get_args(current)[1]
            continue
        if get_origin(current) is list or (
            isinstance(part, int) and any(get_origin(a) is list for a in get_args(current))
        ):
            lists = (
                [current]
                if get_origin(current) is list
                else [a for a in get_args(current) if get_origin(a) is list]
            )
            current = get_args(lists[0])[0]
            continue
        fields = getattr(_unwrap(current), "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        current = field.annotation
        if field.metadata:
            current = Annotated[current, *field.metadata]
    return current


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Return the field names allowed at location ``loc`` of :class:`Params`."""
    current = _annotation_at(loc) if model is Params else None
    return list(getattr(_unwrap(current), "model_fields", {}) or {})


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """Return the key path and one readable phrase for one pydantic error."""
    loc = tuple(p for p in error["loc"] if not str(p).startswith(("function-after", "tagged")))
    loc = tuple(p for p in loc if not _is_union_tag(p))
    key = ".".join(_key_text(p) for p in loc) or "<top level>"
    return key, _phrase(error, loc, key)


def _is_union_tag(part: Any) -> bool:
    text = str(part)
    return text in ("float", "int", "str", "bool") or text.startswith(
        ("literal[", "constrained-", "list[", "dict[")
    )


def _phrase(error: dict[str, Any], loc: tuple[Any, ...], key: str) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _known_keys(Params, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        did = f"; did you mean {'.'.join(map(str, loc[:-1] + (hint[0],)))!r}?" if hint else ""
        # quote the key once: a part that is not printable is already shown quoted
        shown = repr(key) if all(_key_text(p) == str(p) for p in loc) else key
        return f"unknown key {shown}{did} (allowed here: {', '.join(allowed)})"
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
        return text if key == "<top level>" or text.startswith(key) else f"{key}: {text}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{key} = {_short(got)}: {error['msg'].lower()}{_range_text(loc)}"
    if kind == "missing":
        return f"{key}: required key is missing"
    if "expected" in ctx:
        return f"{key} = {_short(got)}: allowed values are {ctx['expected']}"
    return f"{key} = {_short(got)}: {error['msg']}{_range_text(loc)}"


def _range_text(loc: tuple[Any, ...]) -> str:
    """Return " (allowed range: ...)" for the numeric field at ``loc``, or ""."""
    annotation = _annotation_at(loc)
    metadata = list(getattr(annotation, "__metadata__", ()))
    base = get_args(annotation)[0] if metadata else annotation
    expanded = [x for m in metadata for x in (m, *getattr(m, "metadata", []))]
    low, high, strict = _bounds(base, expanded)
    if low is None and high is None:
        return ""
    low_text = "any" if low is None else (f"above {low}" if strict else f"from {low}")
    return f" (allowed range: {low_text} to {high})"


def _union_text(key: str, errors: list[dict[str, Any]]) -> str:
    """One phrase for a value that matches no arm of a union (e.g. a number or 'none')."""
    alternatives = []
    for error in errors:
        expected = (error.get("ctx") or {}).get("expected")
        if expected:
            alternatives.append(str(expected))
        elif error["type"] == "list_type":
            alternatives.append("a list of names")
        elif error["type"] == "string_type":
            alternatives.append("a name")
        else:
            loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
            alternatives.append("a number" + _range_text(loc))
    got = errors[0].get("input")
    return f"{key} = {_short(got)}: allowed values are " + ", or ".join(dict.fromkeys(alternatives))


def validate(raw: Mapping[str, Any], source: str = "<mapping>") -> Params:
    """Validate a raw scenario mapping into :class:`Params`.

    Raises:
        ScenarioError: naming ``source``, the key path and what is allowed.
    """
    try:
        params = Params.model_validate(_plain(raw))
    except (TypeError, AttributeError, KeyError, RecursionError) as exc:  # last line of defence
        raise ScenarioError(f"{source}: invalid scenario ({type(exc).__name__}: {exc})") from None
    except ValidationError as exc:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for error in exc.errors(include_url=False):
            by_key.setdefault(_describe(error)[0], []).append(error)
        lines = [
            _describe(errs[0])[1] if len(errs) == 1 else _union_text(key, errs)
            for key, errs in by_key.items()
        ]
        raise ScenarioError(f"{source}: " + "; ".join(lines)) from None
    _check_divisors(params, source)
    _check_run_length(params, source)
    return params


@functools.cache
def _strict_keys() -> tuple[tuple[str, float | None], ...]:
    """(key, high) of every float parameter whose range starts strictly above 0."""
    rows = parameter_table()
    return tuple((r["key"], r["high"]) for r in rows if r["low_strict"] and r["kind"] == "float")


def _divisors(params: Params) -> list[tuple[str, float, float | None]]:
    """Return (key, value, high) of every value whose range starts strictly above 0."""
    out = []
    for key, high in _strict_keys():
        value: Any = params
        for part in key.split("."):
            value = getattr(value, part)
        out.append((key, value, high))
    for logic, profile in params.organisations.profiles.items():
        if profile.size is not None:
            out.append((f"organisations.profiles.{logic}.size", profile.size, None))
    return out


def _check_divisors(params: Params, source: str) -> None:
    """Refuse subnormal values (e.g. ``5e-324``) where the range is "above 0".

    Such values pass ``> 0`` but overflow as soon as the model divides by them.

    Raises:
        ScenarioError: naming the key and the smallest value allowed.
    """
    for key, value, high in _divisors(params):
        if isinstance(value, float) and 0.0 < value < sys.float_info.min:
            upper = f" to {high}" if high is not None else ""
            raise ScenarioError(
                f"{source}: {key} = {value!r}: too close to 0 to divide by (allowed range: "
                f"from {sys.float_info.min:.4g}{upper})"
            )


def _check_run_length(params: Params, source: str) -> None:
    """Refuse a run that would have no step (e.g. ``simulation.years = 0.01``).

    A step is ``1 / simulation.steps_per_year`` years (a month by default); a run has
    ``round(years * steps_per_year)`` of them.

    Raises:
        ScenarioError: naming ``simulation.years`` and the shortest run allowed.
    """
    sim = params.simulation
    if params.steps >= 1:
        return
    raise ScenarioError(
        f"{source}: simulation.years = {_short(sim.years)} gives 0 steps at "
        f"{sim.steps_per_year} steps per year; a run needs at least one step of "
        f"{1 / sim.steps_per_year:.4g} years (allowed range: above "
        f"{0.5 / sim.steps_per_year:.4g}, i.e. half a step, to 200)"
    )


def load_scenario(
    scenario: str | Path | Mapping[str, Any] | Params = "default",
    overrides: Mapping[str, Any] | None = None,
) -> Params:
    """Load, override and validate a scenario.

    Args:
        scenario: a built-in name, a path to a TOML file, a mapping or ``Params``.
        overrides: dotted keys to values, e.g. ``{"backbone.sunset_year": 8}``.

    Returns:
        The validated :class:`Params`.

    Raises:
        ScenarioError: for any invalid input.
    """
    if isinstance(scenario, Params):
        raw, source = scenario.model_dump(), "<params>"
    else:
        raw, source, path = _resolve_source(scenario)
        raw = _resolve_extends(raw, source, path)
    if overrides:
        raw = apply_overrides(raw, overrides, source)
        source = f"{source} with overrides {', '.join(map(_key_text, overrides))}"
    return validate(raw, source)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` from the command line; the value is read as TOML if it can be.

    Raises:
        ScenarioError: when there is no ``=``.
    """
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected key=value, e.g. backbone.staff=2")
    key, value = text.split("=", 1)
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    except ValueError as exc:  # a number TOML reads but Python refuses (> 4300 digits)
        raise ScenarioError(
            f"--set {_key_text(key.strip())}: cannot read the value: {exc}"
        ) from None
    return key.strip(), parsed
