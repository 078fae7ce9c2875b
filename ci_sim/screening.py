"""Global sensitivity screen (Morris, SALib) of the headline lever effects (issue 7, item 10).

Every numeric constant of ``[mechanisms]`` (read from
:func:`ci_sim.params.parameter_table`) moves within ±30% of its default, clipped to its
bounds; integer constants move between the integers inside that span and are rounded at
each design point. At every point of a Morris design the three headline lever effects of
:data:`ci_sim.ablation.LEVERS` are measured as paired differences over the same few
seeds (the same seeds at every point). The report gives μ* and σ per constant and
outcome, and the share of design points at which each effect keeps the sign it has at
the defaults.

Everything here is a pure function of its inputs except :func:`evaluate`, which runs the
model (optionally in worker processes; results do not depend on the number).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.ablation import (
    CALIBRATION_ROOT,
    FLOAT_FORMAT,
    LEVERS,
    OUTCOMES,
    VALIDATION_ROOT,
    Lever,
    dispatch,
    t_interval,
)
from ci_sim.params import parameter_table
from ci_sim.scenarios import ScenarioError
from ci_sim.sweep import at_years, derive_seeds, run_seeds

SPAN = 0.3
HEADLINE: tuple[Lever, ...] = tuple(lv for lv in LEVERS if lv.headline)
PREFIX = "mechanisms."


@dataclass(frozen=True)
class Factor:
    """A mechanism constant moved by the screen.

    Attributes:
        key: dotted parameter key, e.g. ``mechanisms.trust_gain``.
        default: its default value.
        low, high: the range screened (default ±30%, clipped to the bounds).
        integer: whether the constant is an integer (design values are rounded).
    """

    key: str
    default: float
    low: float
    high: float
    integer: bool

    @property
    def name(self) -> str:
        """The constant's name without the section."""
        return self.key.removeprefix(PREFIX)

    def value(self, x: float) -> float | int:
        """Return the parameter value for design value ``x`` (integers rounded half up)."""
        if self.integer:
            return int(min(max(math.floor(x + 0.5), self.low), self.high))
        return float(min(max(x, self.low), self.high))


def factors(span: float = SPAN) -> tuple[list[Factor], dict[str, str]]:
    """Return the screened constants and, for those left out, why.

    Every numeric ``mechanisms.*`` row of :func:`ci_sim.params.parameter_table` is
    screened over ``default * (1 ± span)`` clipped to its bounds (a strict lower bound
    stays excluded). An integer constant ranges over the integers inside that span. A
    constant whose range is empty (e.g. a default of 0) is left out.
    """
    out: list[Factor] = []
    skipped: dict[str, str] = {}
    for row in parameter_table():
        key = row["key"]
        if not key.startswith(PREFIX) or row["kind"] not in ("int", "float"):
            continue
        d = float(row["default"])
        lo, hi = sorted((d * (1 - span), d * (1 + span)))
        if row["low"] is not None:
            lo = max(lo, float(row["low"]))
        if row["high"] is not None:
            hi = min(hi, float(row["high"]))
        integer = row["kind"] == "int"
        if integer:
            lo, hi = float(math.ceil(lo - 1e-9)), float(math.floor(hi + 1e-9))
        if row["low_strict"] and row["low"] is not None and lo <= float(row["low"]):
            lo = float(row["low"]) + 1e-9 * max(1.0, abs(d))
        if not hi > lo:
            skipped[key] = f"default {row['default']!r}: no room to move within ±{span:.0%}"
            continue
        out.append(Factor(key, d, round(lo, 12), round(hi, 12), integer))
    return out, skipped


def problem(screened: Sequence[Factor]) -> dict[str, Any]:
    """Return the SALib problem definition of ``screened``."""
    return {
        "num_vars": len(screened),
        "names": [f.name for f in screened],
        "bounds": [[f.low, f.high] for f in screened],
    }


def design(
    screened: Sequence[Factor], trajectories: int, levels: int = 4, seed: int = 1
) -> tuple[np.ndarray, pd.DataFrame]:
    """Return a Morris design: the raw SALib matrix and the parameter values per point.

    Args:
        screened: the constants (:func:`factors`).
        trajectories: Morris trajectories ``r``; the design has ``r * (k + 1)`` points.
        levels: grid levels (even).
        seed: seed of the design; the same seed gives the same design.

    Returns:
        ``(X, values)``: ``X`` as SALib samples it (used by the analysis), ``values``
        one row per point with one column per constant key, integers rounded.

    Raises:
        ScenarioError: for fewer than 2 trajectories, an odd or too small ``levels``, or
            no constant to screen.
    """
    from SALib.sample import morris as morris_sample

    if trajectories < 2:
        raise ScenarioError(f"trajectories {trajectories}: allowed: 2 or more")
    if levels < 2 or levels % 2:
        raise ScenarioError(f"levels {levels}: allowed: an even number of 2 or more")
    if not screened:
        raise ScenarioError("no mechanism constant to screen")
    x = morris_sample.sample(problem(screened), trajectories, num_levels=levels, seed=seed)
    values = pd.DataFrame({f.key: [f.value(v) for v in x[:, j]] for j, f in enumerate(screened)})
    for f in screened:
        if f.integer:
            values[f.key] = values[f.key].astype(int)
    return x, values


def _arms(levers: Sequence[Lever]) -> tuple[list[dict[str, Any]], dict[tuple[str, str], int]]:
    """Return the distinct lever arms and which arm serves each (lever, side)."""
    arms: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    sides: dict[tuple[str, str], int] = {}
    for lever in levers:
        for side in ("reference", "treatment"):
            over = dict(getattr(lever, side))
            ident = json.dumps(over, sort_keys=True)
            if ident not in index:
                index[ident] = len(arms)
                arms.append(over)
            sides[(lever.name, side)] = index[ident]
    return arms, sides


def _point(job: tuple[Any, ...]) -> dict[str, float]:
    """Evaluate one design point (worker function; module level so it pickles)."""
    scenario, seeds, year, point, levers, outcomes = job
    arms, sides = _arms(levers)
    outcome = at_years((year,), outcomes)
    tables = [
        run_seeds(scenario, seeds, outcome, {**point, **arm, "simulation.years": year})
        for arm in arms
    ]
    out: dict[str, float] = {}
    for lever in levers:
        a = tables[sides[(lever.name, "reference")]]
        b = tables[sides[(lever.name, "treatment")]]
        for o in outcomes:
            col = f"{o}@{year:g}"
            d = b[col].to_numpy(dtype=float) - a[col].to_numpy(dtype=float)
            low, high = t_interval(d)
            out[f"{lever.name}:{o}"] = float(d.mean())
            out[f"{lever.name}:{o}:low"] = low
            out[f"{lever.name}:{o}:high"] = high
    return out


def _jobs(
    values: pd.DataFrame,
    seeds: Sequence[int],
    year: float,
    levers: Sequence[Lever],
    outcomes: Sequence[str],
    scenario: str | Path | Mapping[str, Any],
) -> list[tuple[Any, ...]]:
    jobs = []
    for row in values.to_dict(orient="records"):
        point = {k: int(v) if isinstance(v, int | np.integer) else float(v) for k, v in row.items()}
        run_list = [int(s) for s in seeds]
        jobs.append((scenario, run_list, float(year), point, tuple(levers), tuple(outcomes)))
    return jobs


def evaluate(
    values: pd.DataFrame,
    seeds: Sequence[int],
    year: float = 15.0,
    levers: Sequence[Lever] = HEADLINE,
    outcomes: Sequence[str] = OUTCOMES,
    scenario: str | Path | Mapping[str, Any] = "default",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Measure each lever's paired effect at every design point (rows of ``values``).

    The same ``seeds`` serve every point and arm. Columns ``<lever>:<outcome>`` hold the
    mean paired difference, ``...:low`` and ``...:high`` its 95% t interval.
    """
    jobs = _jobs(values, seeds, year, levers, outcomes, scenario)
    return pd.DataFrame(dispatch(_point, jobs, workers, progress))


def analyse(
    screened: Sequence[Factor],
    x: np.ndarray,
    effects: pd.DataFrame,
    levers: Sequence[Lever] = HEADLINE,
    outcome: str = "systemic_change",
    levels: int = 4,
    seed: int = 1,
) -> pd.DataFrame:
    """Return Morris μ*, μ, σ and the 95% interval of μ* per constant and lever.

    Elementary effects are in units of the lever effect per full screened range of the
    constant (SALib's unscaled Morris).
    """
    from SALib.analyze import morris as morris_analyse

    prob = problem(screened)
    rows = []
    for lever in levers:
        y = effects[f"{lever.name}:{outcome}"].to_numpy(dtype=float)
        res = morris_analyse.analyze(prob, x, y, num_levels=levels, seed=seed)
        for j, f in enumerate(screened):
            rows.append(
                {
                    "lever": lever.name,
                    "constant": f.name,
                    "mu_star": float(res["mu_star"][j]),
                    "mu_star_conf": float(res["mu_star_conf"][j]),
                    "mu": float(res["mu"][j]),
                    "sigma": float(res["sigma"][j]),
                }
            )
    return pd.DataFrame(rows)


def sign_keeping(
    effects: pd.DataFrame, reference: Mapping[str, float], columns: Sequence[str]
) -> pd.DataFrame:
    """Return, per effect column, the share of points that keep the reference sign.

    ``reference[col]`` is the effect at the defaults. ``kept`` is the share of points
    whose mean effect has the same sign; ``reversed`` the share whose 95% t interval
    lies wholly on the other side of zero.
    """
    rows = []
    for col in columns:
        ref = float(reference[col])
        sign = np.sign(ref)
        y = effects[col].to_numpy(dtype=float)
        lo = effects[f"{col}:low"].to_numpy(dtype=float)
        hi = effects[f"{col}:high"].to_numpy(dtype=float)
        clear = (hi < 0) if sign > 0 else (lo > 0) if sign < 0 else np.zeros_like(y, bool)
        rows.append(
            {
                "effect": col,
                "at_defaults": ref,
                "points": y.shape[0],
                "kept": float((np.sign(y) == sign).mean()) if sign != 0 else float("nan"),
                "reversed": float(clear.mean()),
                "min": float(y.min()),
                "median": float(np.median(y)),
                "max": float(y.max()),
            }
        )
    return pd.DataFrame(rows)


def kept_by_trajectory(
    effects: pd.DataFrame, reference: Mapping[str, float], columns: Sequence[str], trajectories: int
) -> pd.DataFrame:
    """Return per effect column and Morris trajectory the share of sign-keeping points.

    Also returns each trajectory's median effect. A Morris trajectory moves one constant
    at a time from a random start, so its points share most values and describe one
    region of the screened space; a share over all points is dominated by how many
    regions were drawn.
    Rows follow the design order (``trajectories`` equal consecutive blocks).
    """
    rows = []
    for col in columns:
        y = effects[col].to_numpy(dtype=float)
        sign = np.sign(float(reference[col]))
        for t, block in enumerate(np.array_split(y, trajectories), start=1):
            rows.append(
                {
                    "effect": col,
                    "trajectory": t,
                    "points": block.shape[0],
                    "kept": float((np.sign(block) == sign).mean()),
                    "median": float(np.median(block)),
                }
            )
    return pd.DataFrame(rows)


def sign_crossings(
    screened: Sequence[Factor],
    x: np.ndarray,
    effects: pd.DataFrame,
    column: str,
    reference: float,
) -> pd.DataFrame:
    """Return, per constant, how often its one-at-a-time Morris steps flipped an effect's sign.

    In a Morris trajectory consecutive points differ in one constant only, so a step
    whose two points disagree on the sign of the effect in ``column`` (one with the sign
    of ``reference``, one without) is a sign loss caused by moving that constant, given
    the values of the others at that point. Columns: ``constant``, ``steps`` (steps
    that moved it), ``flips`` (steps that flipped the sign), sorted by ``flips``.
    """
    k = len(screened)
    y = effects[column].to_numpy(dtype=float)
    keep = np.sign(y) == np.sign(reference)
    steps = np.zeros(k, dtype=int)
    flips = np.zeros(k, dtype=int)
    for start in range(0, x.shape[0], k + 1):
        for i in range(start, start + k):
            moved = np.flatnonzero(x[i + 1] != x[i])
            if moved.size != 1:
                continue
            steps[moved[0]] += 1
            flips[moved[0]] += int(keep[i] != keep[i + 1])
    table = pd.DataFrame({"constant": [f.name for f in screened], "steps": steps, "flips": flips})
    return table.sort_values(["flips", "constant"], ascending=[False, True], ignore_index=True)


def kept_by_side(
    screened: Sequence[Factor],
    values: pd.DataFrame,
    effects: pd.DataFrame,
    column: str,
    reference: float,
) -> pd.DataFrame:
    """Return, per constant, the sign-kept share among points below and above its default.

    Points where the constant sits at its default (possible for rounded integers) count
    on neither side. Columns: ``constant``, ``below``, ``above`` (shares; NaN when no
    point is on that side), ``gap`` (above minus below) and the point counts ``n_below``,
    ``n_above``, sorted by ``|gap|``.
    """
    keep = np.sign(effects[column].to_numpy(dtype=float)) == np.sign(reference)
    rows = []
    for f in screened:
        v = values[f.key].to_numpy(dtype=float)
        lo, hi = keep[v < f.default], keep[v > f.default]
        below = float(lo.mean()) if lo.size else float("nan")
        above = float(hi.mean()) if hi.size else float("nan")
        rows.append(
            {
                "constant": f.name,
                "below": below,
                "above": above,
                "gap": above - below,
                "n_below": int(lo.size),
                "n_above": int(hi.size),
            }
        )
    table = pd.DataFrame(rows)
    order = table["gap"].abs().fillna(0).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


@dataclass(frozen=True)
class Screen:
    """Result of :func:`screen`.

    Attributes:
        factors: the screened constants.
        skipped: constants left out, with the reason.
        x: the raw Morris design.
        values: parameter values per design point.
        effects: lever effects per design point (:func:`evaluate`).
        reference: lever effects at the defaults over ``reference_seeds`` seeds (the
            first ``len(seeds)`` of them are the design points' seeds), with intervals.
        morris: :func:`analyse` of ``effects``.
        seeds: the run seeds.
        root, year, trajectories, levels, design_seed: the settings.
        seconds: wall time of the runs, if measured.
        workers: worker processes of the runs, if known.
        confirmed: :func:`confirm` of the points that lost a sign, if run.
    """

    factors: tuple[Factor, ...]
    skipped: dict[str, str]
    x: np.ndarray
    values: pd.DataFrame
    effects: pd.DataFrame
    reference: dict[str, float]
    morris: pd.DataFrame
    seeds: tuple[int, ...]
    reference_seeds: int
    root: int
    year: float
    trajectories: int
    levels: int
    design_seed: int
    seconds: float | None = None
    workers: int | None = None
    confirmed: pd.DataFrame | None = None


def screen(
    trajectories: int = 4,
    seeds: int = 4,
    root: int = VALIDATION_ROOT,
    year: float = 15.0,
    levels: int = 4,
    design_seed: int = 1,
    workers: int = 1,
    keys: Sequence[str] | None = None,
    reference_seeds: int = 20,
    progress: Callable[[int, int], None] | None = None,
) -> Screen:
    """Run the Morris screen of the headline effects over the mechanism constants.

    Args:
        trajectories: Morris trajectories ``r`` (design points ``r * (k + 1)``).
        seeds: paired seeds per point (the same at every point).
        root: root of :func:`ci_sim.sweep.derive_seeds`.
        year: the year read (runs last that long).
        levels: Morris grid levels.
        design_seed: seed of the design.
        workers: worker processes.
        keys: screen only these constant keys (``mechanisms.<name>``); default all.
        reference_seeds: seeds of the effects at the defaults, whose signs the design
            points should keep (the first ``seeds`` of them are the points' seeds).
        progress: called with (points done, points in all).

    Raises:
        ScenarioError: for fewer than 2 seeds, a bad year, an unknown key, or a design
            setting out of range.
    """
    if seeds < 2:
        raise ScenarioError(f"seeds {seeds}: allowed: 2 or more paired seeds")
    if not 0 < year <= 200:
        raise ScenarioError(f"year {year:g}: allowed: above 0 up to 200")
    screened, skipped = factors()
    if keys is not None:
        known = {f.key for f in screened}
        for key in keys:
            if key not in known:
                raise ScenarioError(
                    f"screen: {key!r} is not a screened constant; allowed: {', '.join(known)}"
                )
        screened = [f for f in screened if f.key in set(keys)]
    x, values = design(screened, trajectories, levels, design_seed)
    run_list = derive_seeds(root, seeds)
    ref_list = derive_seeds(root, max(seeds, reference_seeds))
    defaults = pd.DataFrame([{f.key: f.default for f in screened}])
    for f in screened:
        if f.integer:
            defaults[f.key] = defaults[f.key].astype(int)
    jobs = _jobs(defaults, ref_list, year, HEADLINE, OUTCOMES, "default")
    jobs += _jobs(values, run_list, year, HEADLINE, OUTCOMES, "default")
    start = time.monotonic()
    done = dispatch(_point, jobs, workers, progress)
    seconds = time.monotonic() - start
    reference = {k: float(v) for k, v in done[0].items()}
    effects = pd.DataFrame(done[1:])
    morris = analyse(screened, x, effects, levels=levels, seed=design_seed)
    return Screen(
        tuple(screened),
        skipped,
        x,
        values,
        effects,
        reference,
        morris,
        tuple(run_list),
        len(ref_list),
        root,
        float(year),
        trajectories,
        levels,
        design_seed,
        seconds,
        workers,
    )


CONFIRM_COLUMNS = ("point", "lever", "effect", "low", "high", "seeds")


def lost_sign(result: Screen, outcome: str = "systemic_change") -> dict[int, list[str]]:
    """Return the levers that lost their sign, per design point (row of ``result.values``).

    A lever lost it where its effect on ``outcome`` has not the sign it has at the
    defaults (an effect of exactly zero counts as lost).
    """
    lost: dict[int, list[str]] = {}
    for lever in HEADLINE:
        col = f"{lever.name}:{outcome}"
        sign = np.sign(result.reference[col])
        if sign == 0:
            continue
        y = result.effects[col].to_numpy(dtype=float)
        for i in np.flatnonzero(np.sign(y) != sign):
            lost.setdefault(int(i), []).append(lever.name)
    return lost


def confirm(
    result: Screen,
    seeds: int = 20,
    workers: int = 1,
    outcome: str = "systemic_change",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Measure again, over more seeds, each effect that lost its sign at a design point.

    With a few seeds per point, an effect that is small there loses its sign by seed
    noise alone. This second stage reruns, at each point and for each lever of
    :func:`lost_sign`, that lever's two arms over ``derive_seeds(result.root, seeds)``
    (the point's own seeds come first), so a lost sign can be told apart as kept,
    vanished (interval across zero) or reversed (interval wholly on the other side).

    Returns:
        One row per (point, lever) with the mean paired effect, its 95% t interval
        (``low``, ``high``) and the number of seeds.

    Raises:
        ScenarioError: when ``seeds`` is not above the screen's seeds per point.
    """
    if seeds <= len(result.seeds):
        raise ScenarioError(
            f"confirm seeds {seeds}: allowed: more than the screen's {len(result.seeds)} "
            "seeds per point"
        )
    lost = lost_sign(result, outcome)
    run_list = derive_seeds(result.root, seeds)
    by_name = {lv.name: lv for lv in HEADLINE}
    order = sorted(lost)
    jobs = [
        _jobs(
            result.values.iloc[[i]],
            run_list,
            result.year,
            [by_name[name] for name in lost[i]],
            (outcome,),
            "default",
        )[0]
        for i in order
    ]
    done = dispatch(_point, jobs, workers, progress)
    rows = []
    for i, out in zip(order, done, strict=True):
        for name in lost[i]:
            col = f"{name}:{outcome}"
            rows.append(
                {
                    "point": i,
                    "lever": name,
                    "effect": out[col],
                    "low": out[f"{col}:low"],
                    "high": out[f"{col}:high"],
                    "seeds": seeds,
                }
            )
    return pd.DataFrame(rows, columns=list(CONFIRM_COLUMNS))


def confirmed_signs(result: Screen, outcome: str = "systemic_change") -> pd.DataFrame:
    """Return per headline lever the shares of points kept, vanished and reversed.

    A point keeps the sign when its first-stage effect has the defaults' sign, or when
    its confirmed effect (:func:`confirm`) does; it is *vanished* when the confirmed
    effect has the other sign but its 95% interval includes zero, and *reversed* when
    that interval lies wholly on the other side of zero.

    Raises:
        ValueError: when ``result`` has no confirmation.
    """
    if result.confirmed is None:
        raise ValueError("the screen has no confirmation stage (run confirm)")
    rows = []
    n = len(result.values)
    for lever in HEADLINE:
        col = f"{lever.name}:{outcome}"
        sign = np.sign(result.reference[col])
        part = result.confirmed[result.confirmed["lever"] == lever.name]
        same = np.sign(part["effect"].to_numpy(dtype=float)) == sign
        beyond = (part["high"] < 0) if sign > 0 else (part["low"] > 0)
        reversed_ = int((~same & beyond.to_numpy()).sum())
        vanished = int((~same).sum()) - reversed_
        rows.append(
            {
                "lever": lever.name,
                "points": n,
                "rerun": len(part),
                "seeds": int(part["seeds"].iloc[0]) if len(part) else 0,
                "kept": 1.0 - (vanished + reversed_) / n,
                "vanished": vanished / n,
                "reversed": reversed_ / n,
            }
        )
    return pd.DataFrame(rows)


def save_confirmed(result: Screen, path: Path) -> Path:
    """Write the confirmation table of ``result`` as CSV."""
    if result.confirmed is None:
        raise ValueError("the screen has no confirmation stage (run confirm)")
    path.parent.mkdir(parents=True, exist_ok=True)
    result.confirmed.to_csv(path, index=False, float_format=FLOAT_FORMAT)
    return path


def load_confirmed(path: Path, result: Screen) -> Screen:
    """Return ``result`` with the confirmation table written by :func:`save_confirmed`.

    Raises:
        ScenarioError: when the file cannot be read, is not such a table, or names
            points or levers the screen does not have.
    """
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read the confirmation table: {exc}") from None
    if list(table.columns) != list(CONFIRM_COLUMNS):
        raise ScenarioError(
            f"{path}: not a confirmation table of `ci-sim screen`; allowed columns: "
            + ", ".join(CONFIRM_COLUMNS)
        )
    names = {lv.name for lv in HEADLINE}
    if (
        not table["point"].between(0, len(result.values) - 1).all()
        or not set(table["lever"]) <= names
    ):
        raise ScenarioError(f"{path}: its points or levers do not belong to this screen")
    return dataclasses.replace(result, confirmed=table)


SETTINGS = ("root", "year", "trajectories", "levels", "design_seed", "reference_seeds")
COST = ("seconds", "workers")


def save_points(result: Screen, path: Path) -> Path:
    """Write the design points and their effects (row ``point = -1``: the defaults) as CSV.

    The settings of the screen are written as constant columns, so that
    :func:`load_points` can rebuild the result without running the model.
    """
    values = pd.concat(
        [pd.DataFrame([{f.key: f.default for f in result.factors}]), result.values],
        ignore_index=True,
    )
    effects = pd.concat([pd.DataFrame([result.reference]), result.effects], ignore_index=True)
    table = pd.concat([values, effects], axis=1)
    table.insert(0, "point", np.arange(-1, len(table) - 1))
    for name in (*SETTINGS, *COST):
        table[name] = getattr(result, name)
    table["seeds"] = len(result.seeds)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format=FLOAT_FORMAT)
    return path


def load_points(path: Path) -> Screen:
    """Rebuild a :class:`Screen` from a table written by :func:`save_points`.

    The Morris design is regenerated from the stored settings and must match the stored
    values (else the constants or their ranges changed since the screen ran).

    Raises:
        ScenarioError: when the file cannot be read, is not such a table, or its design
            no longer matches.
    """
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read the design table: {exc}") from None
    need = {"point", "seeds", *SETTINGS}
    if not need <= set(table.columns) or len(table) < 2:
        raise ScenarioError(f"{path}: not a table written by `ci-sim screen`")
    first = table.iloc[0]
    keys = [c for c in table.columns if c.startswith(PREFIX)]
    screened = [f for f in factors()[0] if f.key in set(keys)]
    if len(screened) != len(keys):
        raise ScenarioError(f"{path}: its constants are no longer all screened constants")
    trajectories, levels = int(first["trajectories"]), int(first["levels"])
    design_seed = int(first["design_seed"])
    x, values = design(screened, trajectories, levels, design_seed)
    stored = table[table["point"] >= 0].reset_index(drop=True)
    if len(stored) != len(values) or not np.allclose(
        stored[values.columns].to_numpy(dtype=float), values.to_numpy(dtype=float)
    ):
        raise ScenarioError(f"{path}: the regenerated design differs from the stored one")
    cols = [c for c in table.columns if ":" in c]
    reference = {c: float(first[c]) for c in cols}
    effects = stored[cols].reset_index(drop=True)
    morris = analyse(screened, x, effects, levels=levels, seed=design_seed)
    root = int(first["root"])
    cost = {k: None if k not in table or pd.isna(first[k]) else first[k] for k in COST}
    return Screen(
        tuple(screened),
        factors()[1],
        x,
        values,
        effects,
        reference,
        morris,
        tuple(derive_seeds(root, int(first["seeds"]))),
        int(first["reference_seeds"]),
        root,
        float(first["year"]),
        trajectories,
        levels,
        design_seed,
        None if cost["seconds"] is None else float(cost["seconds"]),
        None if cost["workers"] is None else int(cost["workers"]),
    )


# --- report ---------------------------------------------------------------------------


def sign_table(result: Screen, outcomes: Sequence[str] = OUTCOMES) -> pd.DataFrame:
    """Return the sign-keeping table of every headline effect and outcome."""
    cols = [f"{lv.name}:{o}" for lv in HEADLINE for o in outcomes]
    return sign_keeping(result.effects, result.reference, cols)


def plot_screen(result: Screen, path: Path, top: int = 15) -> Path:
    """Draw μ* (bars) and σ (dots) of the ``top`` constants for each headline lever."""
    from matplotlib.figure import Figure

    levers = list(dict.fromkeys(result.morris["lever"]))
    n = min(top, len(result.factors))
    fig = Figure(figsize=(4.4 * len(levers), 0.28 * n + 1.5), dpi=100)
    axes = fig.subplots(1, len(levers), squeeze=False)[0]
    for ax, lever in zip(axes, levers, strict=True):
        part = result.morris[result.morris["lever"] == lever].nlargest(n, "mu_star")
        y = np.arange(len(part))
        ax.barh(
            y, part["mu_star"], xerr=part["mu_star_conf"], color="tab:blue", alpha=0.7, label="μ*"
        )
        ax.plot(part["sigma"], y, "o", color="tab:red", ms=4, label="σ")
        ax.set_yticks(y, part["constant"], fontsize=7)
        ax.invert_yaxis()
        ref = result.reference[f"{lever}:systemic_change"]
        ax.axvline(abs(ref), color="k", lw=0.8, ls="--", label="|effect at defaults|")
        ax.set_title(lever.replace("_", " "), fontsize=10)
        ax.set_xlabel("elementary effect on the lever effect")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def _confirmation_lines(result: Screen) -> list[str]:
    """The report's paragraph and table of the second stage (:func:`confirm`)."""
    table = confirmed_signs(result)
    seeds = int(table["seeds"].max())
    out = [
        f"**Second stage: every lost sign measured again over {seeds} seeds.** At each "
        f"point where an effect lost its sign over {len(result.seeds)} seeds, that lever's "
        f"two arms are run again over `derive_seeds({result.root}, {seeds})` (the point's "
        "own seeds first). *Kept*: the sign at the defaults, in the first stage or the "
        "second; *vanished*: the other sign, with a 95% t interval that includes zero; "
        "*reversed*: the interval lies wholly on the other side of zero.",
        "",
        "| effect (systemic change) | points | rerun | sign kept | vanished | reversed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples():
        out.append(
            f"| {r.lever} | {r.points} | {r.rerun} | {_pct(r.kept)} | {_pct(r.vanished)} | "
            f"{_pct(r.reversed)} |"
        )
    return [*out, ""]


def render_markdown(
    result: Screen,
    figure: str | None,
    command: str,
    points_file: str | None = None,
) -> str:
    """Return the text of ``docs/sensitivity.md`` for ``result``.

    Args:
        result: the screen.
        figure: path of the figure relative to the report, or ``None``.
        command: the command line that regenerates the report.
        points_file: path of the design table relative to the report, if any.
    """
    k = len(result.factors)
    points = len(result.values)
    n = len(result.seeds)
    arms = len(_arms(HEADLINE)[0])
    cost = ""
    if result.seconds is not None:
        cost = f" in {result.seconds / 60:.1f} min wall time" + (
            f" with {result.workers} worker processes" if result.workers else ""
        )
    signs = sign_table(result)
    head = signs[signs["effect"].str.endswith(":systemic_change")]
    out = [
        "# Global sensitivity screen of the headline lever effects",
        "",
        f"Generated by `{command}`; do not edit by hand.",
        "",
        f"A Morris screen (SALib, {result.trajectories} trajectories, {result.levels} grid "
        f"levels, design seed {result.design_seed}) moves all {k} numeric constants of "
        f"`[mechanisms]` at once, each within ±{SPAN:.0%} of its default, clipped to its "
        f"bounds; integer constants take the integers inside that span (design values "
        f"rounded half up). At each of the {points} design points (plus the defaults) the "
        f"three headline lever effects on systemic change at year {result.year:g} are "
        f"measured as paired differences over the same {n} seeds ({arms} arms per point; "
        f"{(points * n + result.reference_seeds) * arms} runs of {result.year:g} years{cost}).",
        "",
        f"- **Seeds.** Validation root {result.root}: "
        f"`ci_sim.sweep.derive_seeds({result.root}, {n})`, the same at every point. The "
        f"constants were calibrated on root {CALIBRATION_ROOT}.",
        "- **Levers.** " + "; ".join(f"`{lv.name}`: {lv.label}" for lv in HEADLINE) + ".",
        "- **μ\\*, σ.** Mean absolute and standard deviation of the elementary effects "
        "(SALib, unscaled): change of the lever effect per full screened range of the "
        "constant. μ\\* large = influential; σ large = non-linear or interacting. The "
        "interval of μ\\* is SALib's 95% bootstrap.",
        f"- **Sign kept.** Share of design points at which the mean paired effect has the "
        f"sign it has at the defaults (measured over {result.reference_seeds} seeds of the "
        f"same root, the first {n} being the points' seeds). *Clearly reversed*: the 95% "
        f"t interval over the {n} seeds lies wholly on the other side of zero; with {n} "
        f"seeds per point a point near zero can lose its sign by seed noise alone.",
    ]
    if points_file:
        out += [
            f"- **Data.** Every design point with its effects: [`{points_file}`]"
            f"({points_file}); `ci-sim screen --from-points <that file>` rewrites this page "
            f"without running."
        ]
    out += [
        "",
        "## Do the headline effects keep their sign?",
        "",
        'Issue 7: "The three headline effects must keep their sign when every constant '
        'moves ±30%."',
        "",
        "| effect (systemic change) | at defaults (95% t) | sign kept | clearly reversed "
        "| min | median | max |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in head.itertuples():
        low, high = result.reference[f"{r.effect}:low"], result.reference[f"{r.effect}:high"]
        out.append(
            f"| {r.effect.split(':')[0]} | {r.at_defaults:+.3f} [{low:+.3f}, {high:+.3f}] | "
            f"{_pct(r.kept)} | "
            f"{_pct(r.reversed)} | {r.min:+.3f} | {r.median:+.3f} | {r.max:+.3f} |"
        )
    out += [""]
    if result.confirmed is not None:
        out += _confirmation_lines(result)
    verdicts = []
    for r in head.itertuples():
        lever = r.effect.split(":")[0]
        if r.at_defaults == 0:
            verdicts.append(f"- `{lever}` is exactly 0 at the defaults: no sign to keep.")
            continue
        if r.kept == 1.0:
            verdicts.append(f"- `{lever}` keeps its sign at every design point.")
            continue
        flips = sign_crossings(result.factors, result.x, result.effects, r.effect, r.at_defaults)
        hit = flips[flips["flips"] > 0]
        named = ", ".join(f"`{d.constant}` {d.flips}/{d.steps}" for d in hit.head(8).itertuples())
        more = f" and {len(hit) - 8} more" if len(hit) > 8 else ""
        mor = result.morris[result.morris["lever"] == lever].copy()
        mor["against"] = -np.sign(r.at_defaults) * mor["mu"]
        weak = mor.nlargest(3, "against")
        weakening = ", ".join(
            f"`{d.constant}` (μ {d.mu:+.3f})" for d in weak.itertuples() if d.against > 0
        )
        sides = kept_by_side(result.factors, result.values, result.effects, r.effect, r.at_defaults)
        split = "; ".join(
            f"`{d.constant}` below its default {_pct(d.below)} of {d.n_below} points, "
            f"above {_pct(d.above)} of {d.n_above}"
            for d in sides.head(3).itertuples()
        )
        verdicts.append(
            f"- `{lever}` loses its sign at {_pct(1 - r.kept)} of the points "
            f"({_pct(r.reversed)} clearly reversed). Morris steps (one constant moved) that "
            f"flipped its sign, as flips/steps of that constant: "
            f"{named or 'none'}{more} ({int(hit['flips'].sum())} of "
            f"{int(flips['steps'].sum())} steps). Constants whose increase weakens it most "
            f"(signed Morris μ against its sign): {weakening or 'none'}. Sign kept where a "
            f"constant sits below vs above its default, largest gaps first: {split}."
        )
    out += verdicts + [""]
    cols = list(head["effect"])
    by_t = kept_by_trajectory(result.effects, result.reference, cols, result.trajectories)
    out += [
        "**By trajectory.** Each Morris trajectory starts at a random point and moves one "
        "constant at a time, so its points share most values and describe one region of "
        "the screened space; the shares above are dominated by how many regions were "
        f"drawn ({result.trajectories}). Sign kept (median effect) per trajectory:",
        "",
        "| effect | "
        + " | ".join(f"trajectory {t}" for t in range(1, result.trajectories + 1))
        + " |",
        "| --- |" + " --- |" * result.trajectories,
    ]
    for col in cols:
        sub = by_t[by_t["effect"] == col]
        out.append(
            f"| {col.split(':')[0]} | "
            + " | ".join(f"{_pct(r.kept)} ({r.median:+.3f})" for r in sub.itertuples())
            + " |"
        )
    out += [""]
    if figure:
        out += [f"![sensitivity]({figure})", ""]
    out += [
        "## Sign kept on each level",
        "",
        "| effect | at defaults | sign kept | clearly reversed | min | median | max |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in signs.itertuples():
        out.append(
            f"| {r.effect.replace(':', ' on ')} | {r.at_defaults:+.3f} | {_pct(r.kept)} | "
            f"{_pct(r.reversed)} | {r.min:+.3f} | {r.median:+.3f} | {r.max:+.3f} |"
        )
    out += [
        "",
        "## μ\\* and σ per constant",
        "",
        "Sorted by the largest μ\\* over the three levers. Effects on systemic change at "
        f"year {result.year:g}.",
        "",
    ]
    wide = result.morris.pivot(index="constant", columns="lever", values=["mu_star", "sigma"])
    order = wide["mu_star"].max(axis=1).sort_values(ascending=False).index
    levers = [lv.name for lv in HEADLINE]
    by_name = {f.name: f for f in result.factors}
    head_cells = ["constant", "default", "range"]
    head_cells += [f"{lv} μ\\* / σ" for lv in levers]
    out += ["| " + " | ".join(head_cells) + " |", "|" + " --- |" * len(head_cells)]
    for name in order:
        f = by_name[name]
        fmt = "{:g}" if f.integer else "{:.4g}"
        rng = f"{fmt.format(f.low)} – {fmt.format(f.high)}"
        cells = [
            f"{wide.loc[name, ('mu_star', lv)]:.3f} / {wide.loc[name, ('sigma', lv)]:.3f}"
            for lv in levers
        ]
        out.append(f"| `{name}` | {f.default:g} | {rng} | " + " | ".join(cells) + " |")
    inert = [name for name in order if (wide.loc[name, "mu_star"] == 0).all()]
    if inert:
        out += [
            "",
            f"Constants whose Morris steps changed none of the three effects at year "
            f"{result.year:g} (μ\\* = 0 for every lever): "
            + ", ".join(f"`{name}`" for name in inert)
            + ".",
        ]
    if result.skipped:
        out += ["", "Constants not screened:", ""]
        out += [f"- `{k}`: {why}" for k, why in result.skipped.items()]
    return "\n".join(out) + "\n"
