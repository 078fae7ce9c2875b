"""The dashboard in a real browser: Debian's chromium driven by Playwright.

The test starts ``ci-sim app`` on a free localhost port in a subprocess, loads the page,
moves a lever slider, presses Step several times and checks that the plots and the
network changed (their pixels, not only their URLs). Screenshots go to
``out/screenshots/``. Without chromium (``make test`` installs it when it can) or
Playwright the test is skipped with the reason.

Run as a script, this module also makes the dashboard screenshots of the teaching plan::

    .venv/bin/python -m tests.test_app_browser docs/figures/teaching
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "out" / "screenshots"
#: Chromium flags for a headless run on a machine without a display or network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: How long the server and the page may take on a busy 2-core machine (seconds).
START_TIMEOUT = 120
UI_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 1000}


def chromium_or_skip() -> str:
    """Return the chromium executable, or skip the test saying why."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no chromium on PATH (make test installs Debian's chromium when it can)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (it is in the dev extra)")
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until the server accepts connections; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ci-sim app exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise AssertionError(f"ci-sim app did not listen on port {port} within {timeout} s")


@contextlib.contextmanager
def serve(log: Path) -> Iterator[str]:
    """Run ``ci-sim app`` on a free port; yield its URL; stop it afterwards."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ci_sim.cli", "app", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_for_port(port, proc, START_TIMEOUT)
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def browser_page(executable: str) -> Iterator[Any]:
    """Yield a Playwright page in headless chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def open_dashboard(page: Any, url: str) -> None:
    """Load the dashboard and wait until every view is on screen."""
    page.goto(url, wait_until="networkidle", timeout=UI_TIMEOUT_MS)
    for cls in ("ci-network", "ci-conditions", "ci-will-trust", "ci-trust-backbone", "ci-effort"):
        page.wait_for_selector(f"img.{cls}", state="visible")


def image_src(page: Any, cls: str) -> str:
    return page.locator(f"img.{cls}").get_attribute("src")


def pixels(page: Any, cls: str) -> bytes:
    """Return the decoded pixels of a view as the browser shows it."""
    from PIL import Image

    png = page.locator(f"img.{cls}").screenshot()
    return Image.open(io.BytesIO(png)).convert("RGB").tobytes()


def step(page: Any) -> None:
    """Press Step and wait until the server has sent the new pictures."""
    old = image_src(page, "ci-conditions")
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(
        "old => document.querySelector('img.ci-conditions').src !== old", arg=old
    )


def move_slider(page: Any, label: str, key: str) -> None:
    """Move a lever slider to its lowest value with the keyboard."""
    thumb = page.locator(".v-input", has_text=label).locator("[role=slider]")
    thumb.focus()
    page.keyboard.press(key)


def test_dashboard_in_a_real_browser():
    executable = chromium_or_skip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(SCREENSHOTS / "server.log") as url, browser_page(executable) as page:
        open_dashboard(page, url)
        page.screenshot(path=str(SCREENSHOTS / "1_loaded.png"))
        assert page.get_by_text("What to watch").first.is_visible()
        start = {cls: pixels(page, cls) for cls in ("ci-network", "ci-conditions")}

        move_slider(page, "Independence of the backbone", "Home")
        page.get_by_text("Changed on side A").wait_for()
        assert "backbone.independence" in page.locator(".ci-controls").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "2_slider_moved.png"))

        page.get_by_role("button", name="1 year").click()
        for _ in range(3):
            step(page)
        page.get_by_text("year 3 ").first.wait_for()
        after = {cls: pixels(page, cls) for cls in ("ci-network", "ci-conditions")}
        assert after["ci-network"] != start["ci-network"]
        assert after["ci-conditions"] != start["ci-conditions"]
        page.screenshot(path=str(SCREENSHOTS / "3_after_three_years.png"), full_page=True)
        page.locator("img.ci-network").screenshot(path=str(SCREENSHOTS / "4_network.png"))
        assert "default with independence=0" in page.locator(".ci-views").inner_text()


# --- screenshots for docs/teaching.md ------------------------------------------------

#: Exercise screenshots: file name, query string, years to step, view to scroll to.
DOC_SHOTS = (
    ("1_shared_will.png", "a=default&b=no_backbone&seed=1", 4, "img.ci-will-trust"),
    (
        "2_independent_but_connected.png",
        "a=default&b=captured_backbone&seed=1",
        6,
        "img.ci-network",
    ),
    ("3_move_people.png", "a=default&b=default&seed=1", 8, "img.ci-network"),
    (
        "4_four_tasks_and_sunset.png",
        "a=default&b=early_sunset_no_handover&seed=1",
        15,
        "img.ci-conditions",
    ),
    ("5_case_medvind.png", "a=medvind&b=(none)&seed=1", 10, "img.ci-conditions"),
)


def doc_screenshots(out: Path) -> list[Path]:
    """Make the dashboard screenshots of the teaching plan, as small PNGs in ``out``."""
    from PIL import Image

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("no chromium on PATH")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve(SCREENSHOTS / "server.log") as url, browser_page(executable) as page:
        for name, query, years, anchor in DOC_SHOTS:
            open_dashboard(page, f"{url}?{query}")
            if name.startswith("3_"):  # side A with high turnover against the default
                move_slider(page, "Staff turnover per year", "End")
                page.get_by_text("Changed on side A").wait_for()
            page.get_by_role("button", name="1 year").click()
            for _ in range(years):
                step(page)
            page.locator(anchor).scroll_into_view_if_needed()
            png = page.screenshot()
            image = Image.open(io.BytesIO(png)).convert("RGB")
            image = image.resize((image.width * 3 // 4, image.height * 3 // 4))
            path = out / name
            image.quantize(colors=128).save(path, optimize=True)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in doc_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "out/doc_shots")):
        print(path)
