"""Global sensitivity indices of a sampled experiment (SALib).

The outcome of each design point is the metric at one recorded year, averaged over the
point's replicates (which share seeds across points: common random numbers). Morris
designs give mu* (mean absolute elementary effect) and sigma; Sobol designs give first
order (S1) and total (ST) indices with confidence intervals; Latin hypercube designs
give RBD-FAST first-order indices (S1) with confidence intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.experiments.comparison import check_metric, check_year, interventions
from ci_sim.experiments.spec import ExperimentError, Sampling, sample_matrix


def sampling_of(plan: Mapping[str, Any]) -> Sampling:
    """Return the sampled design stored in a manifest's ``plan``.

    Raises:
        ExperimentError: when the sweep was not sampled.
    """
    s = plan.get("sampling")
    if not s:
        raise ExperimentError(
            "sensitivity needs a sampled experiment ([sampling] with method = 'morris', "
            "'sobol' or 'lhs'); this sweep is a grid"
        )
    ranges = {k: (float(v[0]), float(v[1])) for k, v in s["ranges"].items()}
    return Sampling(
        method=s["method"],
        n=int(s["n"]),
        ranges=ranges,
        levels=int(s.get("levels", 4)),
        second_order=bool(s.get("second_order", False)),
    )


def sensitivity(
    df: pd.DataFrame,
    plan: Mapping[str, Any],
    metric: str,
    year: float | None = None,
    intervention: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Return the sensitivity indices of ``metric`` over the sampled levers.

    Args:
        df: the sweep's results table.
        plan: the manifest's ``plan`` (the sampled design).
        metric: a metric or outcome column.
        year: a recorded year (default: the last).
        intervention: the intervention to analyse (default: each one).
        seed: seed of SALib's confidence-interval resampling.

    Returns:
        One row per intervention and lever: ``mu_star, mu_star_conf, sigma`` (Morris),
        ``S1, S1_conf, ST, ST_conf`` (Sobol) or ``S1, S1_conf`` (lhs, RBD-FAST).

    Raises:
        ExperimentError: for a grid sweep, an unknown metric or intervention, a year
            not recorded, or design points without any finished run.
    """
    sampling = sampling_of(plan)
    check_metric(df, metric)
    at = check_year(df, year)
    arms = interventions(df)
    chosen = arms if intervention is None else [intervention]
    if intervention is not None and intervention not in arms:
        raise ExperimentError(
            f"--intervention {intervention!r}: unknown (known: {', '.join(arms)})"
        )
    problem = sampling.problem()
    # The design as drawn (before integer levers were rounded for the runs).
    x = np.asarray(sample_matrix(sampling, int(plan["sampling"]["sampler_seed"])), dtype=float)
    rows = df[(df["year"] - at).abs() <= 1e-6]
    frames = []
    for arm in chosen:
        part = rows[rows["intervention"] == arm]
        by_point = part.groupby("point")
        y = by_point[metric].mean()
        n_points = x.shape[0]
        missing = sorted(set(range(n_points)) - set(y.index))
        if missing:
            raise ExperimentError(
                f"{len(missing)} of {n_points} design points of {arm!r} have no finished "
                f"run (e.g. point {missing[0]}); finish the sweep (run it again) first"
            )
        y = y.sort_index().to_numpy(dtype=float)
        frames.append(_indices(sampling, problem, x, y, seed).assign(intervention=arm))
    table = pd.concat(frames, ignore_index=True)
    cols = [
        "intervention",
        "parameter",
        *[c for c in table.columns if c not in ("intervention", "parameter")],
    ]
    table = table[cols]
    table.attrs.update({"metric": metric, "year": at, "method": sampling.method})
    return table


def _indices(
    sampling: Sampling, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sampling.method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=sampling.levels, seed=seed)
            return pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "mu_star": np.asarray(res["mu_star"], dtype=float),
                    "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                    "sigma": np.asarray(res["sigma"], dtype=float),
                }
            )
        if sampling.method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=sampling.second_order, seed=seed)
            return pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "S1": res["S1"],
                    "S1_conf": res["S1_conf"],
                    "ST": res["ST"],
                    "ST_conf": res["ST_conf"],
                }
            )
        from SALib.analyze import rbd_fast

        res = rbd_fast.analyze(problem, x, y, seed=seed)
        return pd.DataFrame(
            {"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"]}
        )


def format_table(table: pd.DataFrame) -> str:
    """Return the indices as aligned text, most influential first, with a header."""
    a = table.attrs
    what = {
        "morris": "Morris elementary effects (mu* = mean |effect|, sigma = its spread)",
        "sobol": "Sobol indices (S1 first order, ST total, with 95% CI half-widths)",
        "lhs": "RBD-FAST first-order indices (S1, with 95% CI half-width)",
    }[a["method"]]
    head = f"{a['metric']} at year {a['year']:g}: {what}"
    key = "mu_star" if a["method"] == "morris" else ("ST" if a["method"] == "sobol" else "S1")
    shown = table.sort_values(["intervention", key], ascending=[True, False], kind="stable")
    return head + "\n" + shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def plot_sensitivity(table: pd.DataFrame, path: str | Path) -> Path:
    """Draw the indices as horizontal bars (one panel per intervention); save to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    a = table.attrs
    arms = list(dict.fromkeys(table["intervention"]))
    n_par = table["parameter"].nunique()
    fig = Figure(figsize=(6.5 * len(arms), 1.2 + 0.3 * n_par), layout="constrained")
    for i, arm in enumerate(arms):
        ax = fig.add_subplot(1, len(arms), i + 1)
        part = table[table["intervention"] == arm]
        if a["method"] == "morris":
            part = part.sort_values("mu_star")
            y = np.arange(len(part))
            ax.barh(y, part["mu_star"], xerr=part["mu_star_conf"], color="tab:blue", label="mu*")
            ax.plot(part["sigma"], y, "o", color="tab:orange", label="sigma")
            ax.set_xlabel(f"{a['metric']}: mu* and sigma")
        else:
            sort = "ST" if a["method"] == "sobol" else "S1"
            part = part.sort_values(sort)
            y = np.arange(len(part))
            h = 0.4 if a["method"] == "sobol" else 0.8
            ax.barh(
                y - (h / 2 if a["method"] == "sobol" else 0),
                part["S1"],
                h,
                xerr=part["S1_conf"],
                label="S1",
            )
            if a["method"] == "sobol":
                ax.barh(y + h / 2, part["ST"], h, xerr=part["ST_conf"], label="ST")
            ax.set_xlabel(f"{a['metric']}: sensitivity index")
        ax.set_yticks(y, part["parameter"], fontsize=8)
        ax.set_title(f"{arm} (year {a['year']:g})", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120)
    return path
