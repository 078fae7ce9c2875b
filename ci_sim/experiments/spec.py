"""Experiment files: load, validate and expand into runs.

An experiment file (``experiments/*.toml``) has up to four tables::

    [experiment]   # title, scenario, years, replicates, root_seed, record, metrics
    [factors]      # full grid over levers: key = [level, level, ...]
    [interventions]  # named override sets; the first one is the baseline
    [sampling]     # method = "lhs" | "sobol" | "morris", n, ranges = {key = [lo, hi]}

Every problem ends as one :class:`ExperimentError` line that names the file and the
key. The runs of an experiment follow from it alone: points (grid cells or sampled
rows) x interventions x replicates, each replicate's seed derived from
``SeedSequence(root_seed)`` before any run starts, so the same replicate has the same
seed at every point and under every intervention (paired).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_sim.scenario_files import ScenarioError

#: Tables an experiment file may hold.
TABLES = ("experiment", "factors", "interventions", "sampling")
#: Keys of ``[experiment]``.
EXPERIMENT_KEYS = (
    "title",
    "description",
    "scenario",
    "years",
    "replicates",
    "root_seed",
    "record",
    "metrics",
)
#: Keys of ``[sampling]``.
SAMPLING_KEYS = ("method", "n", "ranges", "levels", "second_order")
RECORD_MODES = ("final", "yearly", "every_step")
SAMPLING_METHODS = ("lhs", "sobol", "morris")
MAX_REPLICATES = 100_000
MAX_RUNS = 10_000_000
MAX_YEARS = 200.0
#: Levers that an experiment may not vary: the run length is ``[experiment] years``.
RESERVED = {"simulation.years": "set [experiment] years instead"}
#: Columns that every results table starts with.
ID_COLUMNS = ("run_id", "point", "intervention", "replicate", "seed")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


class ExperimentError(ScenarioError):
    """An experiment file or a sweep request is invalid; the message says where and why."""


@dataclass(frozen=True)
class Sampling:
    """A sampled design over numeric ranges (SALib).

    Attributes:
        method: ``"lhs"``, ``"sobol"`` or ``"morris"``.
        n: SALib's ``N``: samples (lhs), base samples (sobol, a power of 2) or
            trajectories (morris).
        ranges: lever -> (low, high).
        levels: grid levels of Morris trajectories.
        second_order: Sobol second-order indices (more points).
    """

    method: str
    n: int
    ranges: dict[str, tuple[float, float]]
    levels: int = 4
    second_order: bool = False

    def problem(self) -> dict[str, Any]:
        """Return SALib's problem dictionary."""
        return {
            "num_vars": len(self.ranges),
            "names": list(self.ranges),
            "bounds": [list(b) for b in self.ranges.values()],
        }


@dataclass(frozen=True)
class Run:
    """One run of an experiment: where it sits in the design and what it sets."""

    run_id: int
    point: int
    intervention: str
    replicate: int
    seed: int
    overrides: dict[str, Any]
    labels: dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment.

    Attributes:
        name: the file's stem (default output folder ``out/<name>``).
        source: the file as given, or ``"<mapping>"``.
        title, description: text.
        scenario: built-in scenario name or path (relative paths are resolved against
            the experiment file's folder).
        years: run length in years.
        replicates: seeds per point and intervention.
        root_seed: root of every run seed.
        record: ``"final"``, ``"yearly"`` or ``"every_step"``.
        metrics: the metric columns to keep.
        factors: lever -> levels (full grid).
        interventions: name -> overrides; the first is the baseline.
        sampling: a sampled design, or ``None``.
        text: the experiment's text (file content, or canonical JSON of a mapping).
        sha256: hex digest of ``text``.
        kinds: lever -> parameter kind (``float``, ``int``, ``bool``, ``str``...).
    """

    name: str
    source: str
    title: str
    description: str
    scenario: str
    years: float
    replicates: int
    root_seed: int
    record: str
    metrics: tuple[str, ...]
    factors: dict[str, list[Any]]
    interventions: dict[str, dict[str, Any]]
    sampling: Sampling | None
    text: str
    sha256: str
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        """The first intervention."""
        return next(iter(self.interventions))

    @property
    def keys(self) -> list[str]:
        """The factor or sampled levers, in file order (one results column each)."""
        return list(self.factors) if self.factors else list(self.sampling_ranges)

    @property
    def sampling_ranges(self) -> dict[str, tuple[float, float]]:
        """The sampled ranges (empty without ``[sampling]``)."""
        return dict(self.sampling.ranges) if self.sampling else {}

    def seeds(self) -> list[int]:
        """Return the run seed of every replicate (the same at every point and arm)."""
        from ci_sim.sweep import derive_seeds

        return derive_seeds(self.root_seed, self.replicates)

    def sampler_seed(self) -> int:
        """Return the seed of the SALib sampler, derived from the root seed."""
        import numpy as np

        seq = np.random.SeedSequence(self.root_seed, spawn_key=(2**32 - 1,))
        return int(seq.generate_state(1, dtype=np.uint32)[0])

    def points(self) -> list[dict[str, Any]]:
        """Return the design points: lever -> value, in run order.

        A grid gives the cartesian product of the factor levels (the first factor
        varies slowest); a sampled design gives SALib's rows; neither gives one empty
        point.
        """
        if self.factors:
            keys = list(self.factors)
            return [
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*self.factors.values())
            ]
        if self.sampling is not None:
            return [
                {k: self._typed(k, v) for k, v in zip(self.sampling.ranges, row, strict=True)}
                for row in sample_matrix(self.sampling, self.sampler_seed())
            ]
        return [{}]

    def _typed(self, key: str, value: float) -> Any:
        """Return a sampled value as the parameter's type (ints rounded)."""
        if self.kinds.get(key) == "int":
            return int(round(float(value)))
        return float(value)

    def n_runs(self, points: Sequence[Mapping[str, Any]] | None = None) -> int:
        """Return the number of runs."""
        n_points = len(points) if points is not None else len(self.points())
        return n_points * len(self.interventions) * self.replicates

    def runs(self, points: Sequence[Mapping[str, Any]] | None = None) -> Iterator[Run]:
        """Yield every run in ``run_id`` order: point, then intervention, then replicate."""
        points = self.points() if points is None else points
        seeds = self.seeds()
        run_id = 0
        for p, point in enumerate(points):
            labels = {k: label_value(v, self.column_kind(k)) for k, v in point.items()}
            for name, extra in self.interventions.items():
                overrides = {**extra, **point}
                for r, seed in enumerate(seeds):
                    yield Run(run_id, p, name, r, seed, overrides, labels)
                    run_id += 1

    def column_kind(self, key: str) -> str:
        """Return the results column type of a factor or sampled lever.

        ``"float"``, ``"int"``, ``"bool"`` or ``"str"``; a factor whose levels mix
        types (e.g. ``[6, 9, "none"]``) is stored as text.
        """
        if key in self.sampling_ranges:
            return "int" if self.kinds.get(key) == "int" else "float"
        levels = self.factors.get(key, [])
        if levels and all(isinstance(v, bool) for v in levels):
            return "bool"
        if levels and all(isinstance(v, int) and not isinstance(v, bool) for v in levels):
            return "int"
        if levels and all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels):
            return "float"
        return "str"

    def plan(self) -> dict[str, Any]:
        """Return the design as JSON-ready data (stored in the manifest)."""
        return {
            "scenario": self.scenario,
            "years": self.years,
            "replicates": self.replicates,
            "root_seed": self.root_seed,
            "record": self.record,
            "metrics": list(self.metrics),
            "factors": self.factors,
            "interventions": self.interventions,
            "baseline": self.baseline,
            "sampling": None
            if self.sampling is None
            else {
                "method": self.sampling.method,
                "n": self.sampling.n,
                "ranges": {k: list(v) for k, v in self.sampling.ranges.items()},
                "levels": self.sampling.levels,
                "second_order": self.sampling.second_order,
                "sampler_seed": self.sampler_seed(),
            },
            "keys": {k: self.column_kind(k) for k in self.keys},
        }


def label_value(value: Any, kind: str) -> Any:
    """Return a lever value as stored in its results column of type ``kind``."""
    if kind == "str":
        return value if isinstance(value, str) else json.dumps(value, default=str)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    return bool(value)


def sample_matrix(sampling: Sampling, seed: int) -> Any:
    """Return SALib's sample (rows = points) for ``sampling``, seeded by ``seed``."""
    import warnings

    problem = sampling.problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sampling.method == "morris":
            from SALib.sample import morris

            return morris.sample(problem, sampling.n, num_levels=sampling.levels, seed=seed)
        if sampling.method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(
                problem, sampling.n, calc_second_order=sampling.second_order, seed=seed
            )
        from SALib.sample import latin

        return latin.sample(problem, sampling.n, seed=seed)


def n_sampled_points(sampling: Sampling) -> int:
    """Return how many points a sampled design has (without drawing it)."""
    k = len(sampling.ranges)
    if sampling.method == "morris":
        return sampling.n * (k + 1)
    if sampling.method == "sobol":
        return sampling.n * (2 * k + 2 if sampling.second_order else k + 2)
    return sampling.n


# --- loading ----------------------------------------------------------------------------


class _Check:
    """Builds error messages that name the experiment's source."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ExperimentError:
        text = f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}"
        return ExperimentError(" ".join(text.split()))


def _typename(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unknown(check: _Check, where: str, key: str, allowed: Sequence[str]) -> ExperimentError:
    hint = difflib.get_close_matches(key, list(allowed), n=1)
    did = f"; did you mean {hint[0]!r}?" if hint else ""
    return check.fail(
        f"{where}.{key}" if where else key,
        f"unknown key{did} (allowed here: {', '.join(allowed)})",
    )


def _levers() -> dict[str, str]:
    """Return every lever a scenario accepts with its kind, from the parameter table."""
    from ci_sim.params import parameter_table

    return {row["key"]: row["kind"] for row in parameter_table()}


def _flatten(
    check: _Check, where: str, table: Mapping[str, Any], levers: Mapping[str, str]
) -> dict[str, Any]:
    """Flatten ``{backbone = {handover = false}}`` into ``{"backbone.handover": false}``.

    Raises:
        ExperimentError: for a key that is not a lever (with the closest lever).
    """
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in levers:
                out[path] = value
            elif isinstance(value, dict) and any(k.startswith(path + ".") for k in levers):
                walk(value, path + ".")
            else:
                hint = difflib.get_close_matches(path, list(levers), n=1)
                did = f"; did you mean {hint[0]!r}?" if hint else ""
                raise check.fail(
                    f"{where}.{path}",
                    f"unknown lever{did} (list them with ci_sim.params.parameter_table())",
                )
            if path in RESERVED:
                raise check.fail(f"{where}.{path}", f"cannot be varied; {RESERVED[path]}")

    walk(table, "")
    return out


def _table(check: _Check, raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise check.fail(name, f"must be a table, got {_typename(value)}")
    return value


def load(source: str | Path | Mapping[str, Any]) -> Experiment:
    """Load and validate an experiment file (or a mapping of the same shape).

    Args:
        source: path to a TOML file, or a mapping with the file's tables.

    Returns:
        The validated :class:`Experiment`.

    Raises:
        ExperimentError: one line naming the file and the key, for any problem:
            unreadable file, bad TOML, unknown table or key, wrong type, value out of
            range, unknown lever or metric, a lever in both ``[factors]`` (or
            ``[sampling]``) and an intervention, or a scenario that does not load.
    """
    if isinstance(source, Mapping):
        raw = _plain(source)
        label, base, name = "<mapping>", Path.cwd(), "experiment"
        try:
            text = json.dumps(raw, sort_keys=True, default=str)
        except (TypeError, ValueError) as exc:
            raise ExperimentError(f"<mapping>: cannot be serialised: {exc}") from None
    else:
        path = Path(source)
        label, base, name = str(source), path.parent, path.stem
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExperimentError(f"{label}: cannot read file: {exc.strerror or exc}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExperimentError(
                f"{label}: not UTF-8 text (byte {exc.start}); save as UTF-8"
            ) from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ExperimentError(
                f"{label}: not valid TOML: {' '.join(str(exc).split())}"
            ) from None
        except RecursionError:
            raise ExperimentError(f"{label}: nested too deeply to be an experiment") from None
    try:
        return _build(_Check(label), raw, text, name, base)
    except ExperimentError:
        raise
    except (ScenarioError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        # Last line of defence: any other problem is still one line naming the file.
        msg = " ".join(str(exc).split())
        raise ExperimentError(
            f"{label}: invalid experiment ({type(exc).__name__}: {msg})"
        ) from None


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _build(check: _Check, raw: dict[str, Any], text: str, name: str, base: Path) -> Experiment:
    for key in raw:
        if key not in TABLES:
            raise _unknown(check, "", key, TABLES)
    exp = _table(check, raw, "experiment")
    for key in exp:
        if key not in EXPERIMENT_KEYS:
            raise _unknown(check, "experiment", key, EXPERIMENT_KEYS)

    title = _text(check, exp, "title")
    description = _text(check, exp, "description")
    scenario = exp.get("scenario", "default")
    if not isinstance(scenario, str) or not scenario.strip():
        raise check.fail("experiment.scenario", "must be a scenario name or a .toml path")
    scenario = _scenario_ref(scenario, base)
    base_params = _base_params(check, scenario)

    years = exp.get("years", base_params.simulation.years)
    if not _is_number(years) or not math.isfinite(years) or not 0 < years <= MAX_YEARS:
        raise check.fail(
            "experiment.years",
            f"= {years!r}: allowed range above 0 to {MAX_YEARS:g} (a number of years)",
        )
    replicates = exp.get("replicates", 10)
    if type(replicates) is not int or not 1 <= replicates <= MAX_REPLICATES:
        raise check.fail(
            "experiment.replicates",
            f"= {replicates!r}: allowed range 1 to {MAX_REPLICATES} (an integer)",
        )
    root_seed = exp.get("root_seed", 0)
    if type(root_seed) is not int or root_seed < 0:
        raise check.fail("experiment.root_seed", f"= {root_seed!r}: must be an integer >= 0")
    record = exp.get("record", "final")
    if record not in RECORD_MODES:
        raise check.fail(
            "experiment.record",
            f"= {record!r}: allowed values are {', '.join(map(repr, RECORD_MODES))}",
        )
    metrics = _metrics(check, exp.get("metrics"))

    levers = _levers()
    factors = _factors(check, _table(check, raw, "factors"), levers)
    interventions = _interventions(check, raw, levers)
    sampling = _sampling(check, raw, levers)
    if factors and sampling is not None:
        raise check.fail(
            "sampling",
            "an experiment has either [factors] (a grid) or [sampling], not both; "
            "use [interventions] for the settings to compare",
        )
    varied = set(factors) | set(sampling.ranges if sampling else {})
    for arm, overrides in interventions.items():
        for key in overrides:
            if key in varied:
                table = "factors" if key in factors else "sampling.ranges"
                raise check.fail(
                    f"interventions.{arm}.{key}",
                    f"is also in [{table}]; a lever is either varied or set by an intervention",
                )
    kinds = {k: levers[k] for k in varied}
    experiment = Experiment(
        name=name,
        source=check.source,
        title=title,
        description=description,
        scenario=scenario,
        years=float(years),
        replicates=replicates,
        root_seed=root_seed,
        record=record,
        metrics=metrics,
        factors=factors,
        interventions=interventions,
        sampling=sampling,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        kinds=kinds,
    )
    n_points = n_sampled_points(sampling) if sampling else math.prod(map(len, factors.values()))
    n_runs = n_points * len(interventions) * replicates
    if n_runs > MAX_RUNS:
        raise check.fail(
            "",
            f"{n_runs} runs ({n_points} points x {len(interventions)} interventions x "
            f"{replicates} replicates): at most {MAX_RUNS} allowed",
        )
    _validate_values(check, experiment, base_params)
    return experiment


def _text(check: _Check, table: Mapping[str, Any], key: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise check.fail(f"experiment.{key}", f"must be a string, got {_typename(value)}")
    return value


def _scenario_ref(scenario: str, base: Path) -> str:
    """Resolve a relative scenario path against the experiment file's folder."""
    from ci_sim.scenarios import list_scenarios

    if scenario in list_scenarios():
        return scenario
    path = Path(scenario)
    if not path.is_absolute() and (base / path).is_file():
        return str(base / path)
    return scenario


def _base_params(check: _Check, scenario: str) -> Any:
    from ci_sim.scenarios import load_scenario

    try:
        return load_scenario(scenario)
    except ScenarioError as exc:
        raise check.fail("experiment.scenario", str(exc)) from None


def _metrics(check: _Check, value: Any) -> tuple[str, ...]:
    from ci_sim.metrics import REPORTERS

    known = list(REPORTERS)
    if value is None:
        return tuple(known)
    if not isinstance(value, list) or not value:
        raise check.fail("experiment.metrics", "must be a non-empty list of metric names")
    for item in value:
        if not isinstance(item, str) or item not in REPORTERS:
            hint = difflib.get_close_matches(str(item), known, n=1)
            did = f"; did you mean {hint[0]!r}?" if hint else ""
            raise check.fail(
                "experiment.metrics",
                f"unknown metric {item!r}{did} (known: {', '.join(known)})",
            )
    if len(set(value)) != len(value):
        raise check.fail("experiment.metrics", "names a metric twice")
    return tuple(value)


def _factors(
    check: _Check, table: Mapping[str, Any], levers: Mapping[str, str]
) -> dict[str, list[Any]]:
    flat = _flatten(check, "factors", table, levers)
    out: dict[str, list[Any]] = {}
    for key, levels in flat.items():
        if not isinstance(levels, list) or not levels:
            raise check.fail(
                f"factors.{key}", f"must be a non-empty list of levels, got {_typename(levels)}"
            )
        seen: list[str] = []
        for level in levels:
            ident = json.dumps(level, sort_keys=True, default=str)
            if ident in seen:
                raise check.fail(f"factors.{key}", f"level {level!r} is listed twice")
            seen.append(ident)
        out[key] = list(levels)
    return out


def _interventions(
    check: _Check, raw: Mapping[str, Any], levers: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    table = _table(check, raw, "interventions")
    if not table:
        return {"baseline": {}}
    out: dict[str, dict[str, Any]] = {}
    for name, overrides in table.items():
        if not _NAME.match(name):
            raise check.fail(
                f"interventions.{name!r}", "a name must be 1 to 100 printable characters"
            )
        if not isinstance(overrides, dict):
            raise check.fail(
                f"interventions.{name}",
                f"must be a table of lever = value (e.g. {{}} for the baseline), "
                f"got {_typename(overrides)}",
            )
        out[name] = _flatten(check, f"interventions.{name}", overrides, levers)
    return out


def _sampling(check: _Check, raw: Mapping[str, Any], levers: Mapping[str, str]) -> Sampling | None:
    if "sampling" not in raw:
        return None
    table = _table(check, raw, "sampling")
    for key in table:
        if key not in SAMPLING_KEYS:
            raise _unknown(check, "sampling", key, SAMPLING_KEYS)
    method = table.get("method")
    if method not in SAMPLING_METHODS:
        raise check.fail(
            "sampling.method",
            f"= {method!r}: allowed values are {', '.join(map(repr, SAMPLING_METHODS))}",
        )
    n = table.get("n")
    if type(n) is not int or not 2 <= n <= 1_000_000:
        raise check.fail("sampling.n", f"= {n!r}: allowed range 2 to 1000000 (an integer)")
    if method == "sobol" and n & (n - 1):
        raise check.fail("sampling.n", f"= {n}: Sobol sampling needs a power of 2 (e.g. 64)")
    levels = table.get("levels", 4)
    if type(levels) is not int or not 2 <= levels <= 100:
        raise check.fail("sampling.levels", f"= {levels!r}: allowed range 2 to 100 (an integer)")
    if "levels" in table and method != "morris":
        raise check.fail("sampling.levels", "only Morris sampling has levels")
    second = table.get("second_order", False)
    if not isinstance(second, bool):
        raise check.fail("sampling.second_order", "must be true or false")
    if "second_order" in table and method != "sobol":
        raise check.fail("sampling.second_order", "only Sobol sampling has second-order indices")
    ranges_raw = table.get("ranges")
    if not isinstance(ranges_raw, dict) or not ranges_raw:
        raise check.fail("sampling.ranges", "must be a table of lever = [low, high]")
    flat = _flatten(check, "sampling.ranges", ranges_raw, levers)
    ranges: dict[str, tuple[float, float]] = {}
    for key, bounds in flat.items():
        where = f"sampling.ranges.{key}"
        if levers[key] not in ("float", "int"):
            raise check.fail(
                where,
                f"is a {levers[key]} lever; only numeric levers can be sampled "
                "(use [interventions] for the others)",
            )
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(_is_number(b) and math.isfinite(b) for b in bounds)
        ):
            raise check.fail(where, f"= {bounds!r}: must be [low, high], two finite numbers")
        low, high = float(bounds[0]), float(bounds[1])
        if not low < high:
            raise check.fail(where, f"= {bounds!r}: low must be below high")
        ranges[key] = (low, high)
    if method == "morris" and len(ranges) < 1:
        raise check.fail("sampling.ranges", "needs at least one lever")
    return Sampling(method=method, n=n, ranges=ranges, levels=levels, second_order=second)


def _validate_values(check: _Check, experiment: Experiment, base: Any) -> None:
    """Check every lever value against the scenario's rules before any run starts.

    Each factor level, range end and intervention is checked on its own (so the
    message names its key); then every combination of grid point and intervention,
    which catches rules that span levers.
    """
    from ci_sim.scenarios import load_scenario

    def attempt(where: str, overrides: Mapping[str, Any]) -> None:
        try:
            load_scenario(base, dict(overrides))
        except ScenarioError as exc:
            message = str(exc)
            prefix = f"<params> with overrides {', '.join(map(str, overrides))}: "
            message = message.removeprefix(prefix).removeprefix("<params>: ")
            raise check.fail(where, message) from None

    for key, levels in experiment.factors.items():
        for level in levels:
            attempt(f"factors.{key}", {key: level})
    for key, (low, high) in experiment.sampling_ranges.items():
        for end in (low, high):
            attempt(f"sampling.ranges.{key}", {key: experiment._typed(key, end)})
    for name, overrides in experiment.interventions.items():
        attempt(f"interventions.{name}", overrides)
    if experiment.factors and math.prod(map(len, experiment.factors.values())) <= 5000:
        for point in experiment.points():
            for name, overrides in experiment.interventions.items():
                combo = ", ".join(f"{k} = {v!r}" for k, v in point.items())
                attempt(f"interventions.{name} with factors {combo}", {**overrides, **point})
