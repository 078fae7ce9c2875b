"""The teaching dashboard, rendered headless with Solara's test utilities (no browser).

The page is rendered with ``solara.render`` and driven through its widgets: the
scenario pickers, a lever slider, the seed, Step, Reset, Play and "Run 20 seeds". The
views module and the figure panels are tested on their own below.
"""

from __future__ import annotations

import re
import time

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest
import solara

import ci_sim
from ci_sim import app, figures, views
from ci_sim.metrics import REPORTERS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE_CLASSES = ("ci-network", "ci-conditions", "ci-will-trust", "ci-trust-backbone", "ci-effort")


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def page():
    """Render the page; yield its render context; close it afterwards."""
    _box, rc = solara.render(app.Page(), handle_error=False)
    yield rc
    rc.close()


def images(rc) -> dict[str, bytes]:
    out = {}
    for widget in rc.find(widgets.Image).widgets:
        (cls,) = [c for c in widget._dom_classes if c.startswith("ci-")]
        out[cls] = bytes(widget.value)
    return out


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def markdown_text(rc) -> str:
    """Return the text of every Markdown element, without HTML tags."""
    html = " ".join(
        w.template for w in rc.find(v.VuetifyTemplate).widgets if "markdown" in w.template
    )
    return re.sub(r"<[^>]+>", "", html)


def slider(rc, label_start: str):
    matches = [w for w in rc.find(v.Slider).widgets if str(w.label).startswith(label_start)]
    assert len(matches) == 1, [w.label for w in rc.find(v.Slider).widgets]
    return matches[0]


def picker(rc, label_start: str):
    matches = [w for w in rc.find(v.Select).widgets if str(w.label).startswith(label_start)]
    assert len(matches) == 1
    return matches[0]


# --- the page --------------------------------------------------------------------------


def test_page_renders_every_view_as_png(page):
    shown = images(page)
    assert set(shown) == set(IMAGE_CLASSES)
    assert all(data.startswith(PNG_MAGIC) for data in shown.values())
    text = markdown_text(page)
    assert "What to watch" in text
    assert "Events A: default" in text and "Events B: captured_backbone" in text


def test_step_changes_every_view_and_reset_returns_to_the_same_start(page):
    start = images(page)
    assert "year 0" in markdown_text(page)
    for _ in range(3):
        button(page, "Step").click()
    stepped = images(page)
    assert all(stepped[k] != start[k] for k in IMAGE_CLASSES)
    assert "year 0.2" in markdown_text(page)  # three monthly steps
    button(page, "Reset").click()
    assert images(page) == start  # same settings and seed: the very same pictures


def test_moving_a_lever_restarts_side_a_with_the_change(page):
    slider(page, "Staff turnover per year").v_model = 0.12  # the default's own value
    assert "Changed on side A" not in markdown_text(page)
    independence = slider(page, "Independence of the backbone")
    assert independence.v_model == pytest.approx(0.9)
    independence.v_model = 0.0
    text = markdown_text(page)
    assert "Changed on side A" in text and "backbone.independence" in text
    assert "default with independence=0" in text or "independence=0.0" in text
    assert slider(page, "Independence of the backbone").label.endswith("0.00")
    button(page, "Back to the scenario's values").click()
    assert "Changed on side A" not in markdown_text(page)


def test_invalid_lever_combination_shows_one_error_and_keeps_the_worlds(page):
    for name in ("develop relations", "develop capabilities", "anchor capabilities"):
        slider(page, f"Effort: {name}").v_model = 0.0
    before = images(page)
    slider(page, "Effort: anchor relations").v_model = 0.0
    alerts = [w for w in page.find(v.Alert).widgets if w.type == "error"]
    assert len(alerts) == 1
    assert "effort shares must not all be zero" in str(alerts[0].children)
    assert images(page) == before


def test_scenario_pickers_group_and_switch_worlds(page):
    side_a = picker(page, "Side A")
    headers = [item["header"] for item in side_a.items if "header" in item]
    assert headers == [
        "The default",
        "Cases (Danish initiatives described in the source)",
        "Teaching scenarios (the default with one lever changed)",
    ]
    values = {item["value"] for item in side_a.items if "value" in item}
    assert values == set(ci_sim.list_scenarios())
    picker(page, "Side B").v_model = app.NONE
    assert "Events B" not in markdown_text(page)
    side_a.v_model = "medvind"
    text = markdown_text(page)
    assert "MedVind" in text and "2016 (year 0)" in text
    # the lever sliders show the case's own values, and nothing counts as changed
    assert slider(page, "Effort: develop relations").v_model == pytest.approx(0.35)
    assert "Changed on side A" not in text


def test_one_year_per_click_and_the_seed_field(page):
    before = images(page)
    page.find(v.BtnToggle).widget.v_model = 2  # "1 year"
    button(page, "Step").click()
    assert "year 1 of 15" in markdown_text(page)
    stepped = images(page)
    seed = page.find(v.TextField, label="Seed (same for both sides)").widget
    seed.v_model = "7"
    seed.fire_event("focusout", {})
    assert "year 0 of" in markdown_text(page)
    button(page, "Step").click()
    assert images(page)["ci-network"] != stepped["ci-network"]
    assert images(page)["ci-network"] != before["ci-network"]


def test_play_advances_until_paused(page):
    button(page, "Play").click()
    wait_for(lambda: "year 0 of" not in markdown_text(page))
    button(page, "Pause").click()
    wait_for(lambda: not button(page, "Step").disabled)
    assert "year 0 of" not in markdown_text(page)


def test_run_seeds_shows_bands_for_both_sides(page, monkeypatch):
    monkeypatch.setattr(app, "SEEDS", 3)
    button(page, "Run 20 seeds").click()
    wait_for(lambda: any("ci-bands" in w._dom_classes for w in page.find(widgets.Image).widgets))
    (bands,) = [w for w in page.find(widgets.Image).widgets if "ci-bands" in w._dom_classes]
    assert bytes(bands.value).startswith(PNG_MAGIC)


# --- the model behind the page ------------------------------------------------------------


def test_dashboard_world_is_the_same_run_as_ci_sim_run():
    model = app.DashboardModel(
        "captured_backbone", "default", seed=4, overrides={"backbone.independence": 0.5}
    )
    model.advance(30)
    a, b = model.worlds
    ref_a = ci_sim.run(
        "captured_backbone", seed=4, years=2.5, overrides={"backbone.independence": 0.5}
    )
    ref_b = ci_sim.run("default", seed=4, years=2.5)
    pd.testing.assert_frame_equal(a.metrics(), ref_a.metrics)
    pd.testing.assert_frame_equal(b.metrics(), ref_b.metrics)
    pd.testing.assert_frame_equal(a.events(), ref_a.events)


def test_dashboard_model_stops_at_the_end_of_the_longer_run():
    model = app.DashboardModel("naboskab", "default", seed=0)  # 8 and 15 years
    model.advance(8 * 12)
    assert model.worlds[0].done and not model.worlds[1].done and model.running
    model.advance(10_000)
    assert not model.running
    assert model.worlds[1].time == model.worlds[1].steps
    assert model.worlds[0].time == model.worlds[0].steps


def test_settings_from_query():
    s = app.settings_from_query("a=no_backbone&b=(none)&seed=3")
    assert (s.scenario_a, s.scenario_b, s.seed) == ("no_backbone", app.NONE, 3)
    bad = app.settings_from_query("a=nonsense&b=../x&seed=-1")
    assert bad == app.Settings()
    assert app.settings_from_query(None) == app.Settings()


def test_settings_overrides_keep_only_real_changes():
    s = app.Settings(levers={"backbone.independence": 0.9, "backbone.growth": 0.5})
    assert s.overrides() == {"backbone.growth": 0.5}
    assert s.model_kwargs()["overrides"] == {"backbone.growth": 0.5}


def test_host_options_and_values():
    params = ci_sim.load_scenario("naboskab")
    options = app.host_options(params)
    assert options[0] == "none"
    joint = [o for o in options if "+" in o]
    assert len(joint) == 1
    assert app.host_value(joint[0]) == params.backbone.host
    assert app.host_value("municipality") == "municipality"


def test_every_lever_is_a_parameter_of_every_scenario():
    keys = {row["key"] for row in ci_sim.params.parameter_table()} | {"backbone.host"}
    for lever in app.LEVERS:
        assert lever.key in keys
    for name in ci_sim.list_scenarios():
        params = ci_sim.load_scenario(name)
        for lever in app.LEVERS:
            app.lever_value(params, lever.key)


# --- views -------------------------------------------------------------------------------


def test_every_metric_has_a_readable_label():
    for name in REPORTERS:
        text = views.label(name)
        assert "_" not in text and text[0].isupper()
    assert views.label("resource_flows") == "Resource flows"
    assert views.label("some_new_metric") == "Some new metric"


@pytest.mark.parametrize(
    ("kind", "detail", "previous", "expected"),
    [
        ("backbone_start", "staff 3 FTE", None, "The backbone secretariat starts work"),
        (
            "sunset",
            "the backbone leaves; local leadership in 3 of 20 organisations",
            None,
            "local leadership in 3 of 20 organisations",
        ),
        ("relapse", "local leadership 0.05, shared will 0.30", None, "Relapse"),
        ("org_withdrawn", "ngo_3", None, "NGO 3 withdraws"),
        ("org_engaged", "ngo_3", "org_withdrawn", "NGO 3 rejoins"),
        ("org_engaged", "municipality_1", "org_dominating", "stops dominating"),
        ("policy_change", "policy frame at 0.50", None, "policy frame changes"),
        ("data_shared", "lauritzen_fonden", None, "Lauritzen fonden starts sharing"),
        ("org_left", "state_agency_2", None, "State agency 2 is let go"),
        ("something_new", "x", None, "Something new: x."),
    ],
)
def test_plain_events(kind, detail, previous, expected):
    assert expected in views.plain_event(kind, detail, previous)


def test_event_log_is_in_plain_words_with_calendar_years():
    world = views.World("medvind", seed=1)
    world.run_to(4)
    log = world.log()
    assert log and all(text.startswith("20") for _, text in log)
    assert not any("org_" in text or "backbone_start" in text for _, text in log)
    years = [year for year, _ in log]
    assert years == sorted(years)


def test_year_text():
    assert views.year_text(3.5) == "year 3.5"
    assert views.year_text(10, 2016) == "2026 (year 10)"
    assert views.year_text(0.99, 2016) == "2016 (year 1)"


def test_network_view_is_consistent():
    world = views.World("default", seed=2)
    world.run_to(2)
    net = world.network()
    n = net.xy.shape[0]
    assert net.logic.shape == net.leader.shape == net.willing.shape == net.active.shape == (n,)
    assert net.edges.shape == (net.trust.shape[0], 2) == (net.cross.shape[0], 2)
    assert net.edges.min() >= 0 and net.edges.max() < n
    assert ((net.trust >= 0) & (net.trust <= 1)).all()
    assert net.backbone_xy is not None and net.backbone_xy.shape == (2,)
    assert set(net.logic) <= set(net.logic_xy) <= set(views.LOGIC_COLOURS)
    again = views.World("default", seed=2).network()
    np.testing.assert_array_equal(net.xy, again.xy)  # the layout does not move


def test_backbone_views_before_and_after_it_starts():
    world = views.World("default", seed=0)
    assert not world.backbone_present()
    assert all(x == 0 for x in world.trust_by_logic().values())
    world.run_to(2)
    hist = world.history()
    assert set(views.TASKS) | {"year", "staff"} <= set(hist.columns)
    assert hist["staff"].iloc[0] == 0 and hist["staff"].iloc[-1] > 0
    assert (hist[list(views.TASKS)].sum(axis=1) <= hist["staff"] + 1e-9).all()


def test_seed_bands_are_ordered_quantiles():
    bands = views.seed_bands(
        "default", {"backbone.sunset_year": 3}, [1, 2, 3], metrics=["shared_will", "practices"]
    )
    assert set(bands["metric"]) == {"shared_will", "practices"}
    assert (bands["low"] <= bands["median"] + 1e-12).all()
    assert (bands["median"] <= bands["high"] + 1e-12).all()
    assert (bands["runs"] == 3).all()


# --- figure panels -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(figures.PANELS))
def test_panel_changes_only_when_the_world_does(name, tmp_path):
    worlds = [views.World("default", seed=3), views.World("no_backbone", seed=3)]
    panel = figures.PANELS[name](worlds)
    first = panel.png()
    assert first.startswith(PNG_MAGIC)
    assert panel.png() == first
    for world in worlds:
        world.run_to(2)
    assert panel.png() != first
    path = panel.save(tmp_path / f"{name}.png", dpi=80)
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert panel.png().startswith(PNG_MAGIC)  # the fast path works again after a save


def test_panels_draw_one_world_and_calendar_years():
    world = views.World("medvind", seed=0)
    world.run_to(1)
    for panel in figures.PANELS.values():
        assert panel([world]).png().startswith(PNG_MAGIC)
    bands = views.seed_bands("medvind", None, [0, 1], metrics=["relationships"])
    fig = figures.bands_figure([("A: medvind", bands)], "relationships", 2016)
    assert figures.png(fig).startswith(PNG_MAGIC)
    assert "2016" in fig.axes[0].get_xlabel()
