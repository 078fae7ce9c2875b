"""The claims register, the citation scanner and docs/claims.md (issue: claims coverage)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from ci_sim.claims import (
    CLAIMS,
    NOT_MODELLED,
    SOURCES,
    Coverage,
    cited_ids,
    counts,
    render_markdown,
    scan,
    uncovered,
)
from ci_sim.cli import main

REPO = Path(__file__).resolve().parent.parent
DIGEST = REPO.parent / "shared" / "seed-claims.md"

#: Every claim id of the digest, checked by hand against seed-claims.md once.
DIGEST_IDS = [
    *(f"C0.{n}" for n in range(1, 3)),
    *(f"C1.{n}" for n in range(1, 4)),
    *(f"C2.{n}" for n in range(1, 27)),
    *(f"C3.{n}" for n in range(1, 13)),
    *(f"C4.{n}" for n in range(1, 5)),
    *(f"C5.{n}" for n in range(1, 8)),
]


def digest_ids(text: str) -> list[str]:
    """Return the ids that open a bullet of the digest (``- C2.13 ...``), in order."""
    return re.findall(r"^\s*-\s+(C\d+\.\d+)\s", text, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def coverage() -> dict[str, Coverage]:
    return scan(REPO)


# --- the register -------------------------------------------------------------------


def test_register_holds_every_id_of_the_digest():
    assert len(DIGEST_IDS) == 54
    checked = {"hard-coded list": DIGEST_IDS}
    if DIGEST.is_file():  # next to the clone locally and in CI, but not guaranteed
        checked["digest"] = digest_ids(DIGEST.read_text(encoding="utf-8"))
    assert "hard-coded list" in checked
    for name, ids in checked.items():
        assert list(CLAIMS) == ids, name


def test_register_descriptions_are_one_short_english_line():
    for claim, text in CLAIMS.items():
        assert text and "\n" not in text and len(text) <= 140, claim
        assert text.isascii(), claim


def test_not_modelled_reasons_are_for_registered_claims():
    assert set(NOT_MODELLED) <= set(CLAIMS)
    assert all(reason.strip() for reason in NOT_MODELLED.values())


def test_every_registered_claim_is_covered_or_explained(coverage):
    assert uncovered(coverage) == []
    assert sum(counts(coverage).values()) == len(CLAIMS)


def test_no_cited_id_is_unknown(coverage):
    unknown = {c: cov for c, cov in coverage.items() if cov.kind == "unregistered"}
    assert unknown == {}


def test_docs_claims_md_is_up_to_date(coverage):
    path = REPO / "docs" / "claims.md"
    assert path.is_file(), "generate it with `ci-sim claims`"
    assert path.read_text(encoding="utf-8") == render_markdown(coverage), (
        "docs/claims.md is stale: regenerate it with `ci-sim claims`"
    )


# --- the scanner on a small synthetic tree -----------------------------------------


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "ci_sim/mod.py",
        '''
        """A module that implements C5.6."""

        #: Share of habit lost per year (C1.1).
        RATE = 0.1


        def disturb(x):
            """Disturbance never stops (C2.15)."""
            return x


        class Backbone:
            """The backbone (C2.11)."""

            def drift(self):
                # drifts toward the strongest, C2.16
                return 1

            # the four tasks, C4.1-C4.3
            def tasks(self):
                return 4


        CHECKS = (("a pattern", ("C2.13",)),)
        ''',
    )
    write(
        tmp_path,
        "ci_sim/params.py",
        '''
        from pydantic import BaseModel


        class Backbone(BaseModel):
            """The secretariat.

            ``let_go`` is the hazard of stopping work with the unwilling (C2.10).
            """

            disturbance: float = 0.5  # C2.15
            let_go: float = 0.0


        class Params(BaseModel):
            backbone: Backbone = Backbone()
        ''',
    )
    write(tmp_path, "scenarios/demo.toml", '[meta]\nsources = ["C2.15", "Case Bo Trygt"]\n')
    write(
        tmp_path,
        "tests/test_mod.py",
        '''
        from ci_sim.mod import CHECKS

        MEDVIND = "medvind"


        def test_disturbance_is_never_done():
            """C2.15: relapse without disturbance."""
            assert len("relapse") == 7


        def test_checks_hold():
            assert CHECKS


        def test_case():
            assert MEDVIND
        ''',
    )
    return tmp_path


def test_scanner_finds_mechanisms_parameters_scenarios_and_tests(tree):
    cov = scan(tree)
    assert cov["C2.15"].mechanisms == ("mod.disturb",)
    assert cov["C2.15"].parameters == ("backbone.disturbance",)
    assert cov["C2.15"].scenarios == ("scenarios/demo.toml",)
    assert cov["C2.15"].tests == ("tests/test_mod.py::test_disturbance_is_never_done",)
    assert cov["C2.15"].status == "covered"
    assert cov["C2.16"].mechanisms == ("mod.Backbone.drift",)
    assert cov["C2.16"].status == "partly"
    assert cov["C2.11"].mechanisms == ("mod.Backbone",)
    assert cov["C1.1"].mechanisms == ("mod.RATE",)
    assert cov["C5.6"].mechanisms == ("mod",)
    assert cov["C2.10"].parameters == ("backbone.let_go",)


def test_scanner_expands_ranges(tree):
    cov = scan(tree)
    for claim in ("C4.1", "C4.2", "C4.3"):
        assert cov[claim].mechanisms == ("mod.Backbone.tasks",), claim
    assert cov["C4.4"].mechanisms == ()
    ids = [c for _, c in cited_ids("C4.1-C4.3, C2.25\u2013C3.2 and C5.6-5.7")]
    assert ids == ["C4.1", "C4.2", "C4.3", "C2.25", "C2.26", "C3.1", "C3.2", "C5.6", "C5.7"]
    assert [c for _, c in cited_ids("C2.1 C2.10 xC2.3 C3.7 (10-15 years)")] == [
        "C2.1",
        "C2.10",
        "C3.7",
    ]


def test_ids_held_as_data_count_for_the_tests_that_use_them(tree):
    cov = scan(tree)
    assert cov["C2.13"].mechanisms == ()
    assert cov["C2.13"].tests == ("tests/test_mod.py::test_checks_hold",)


def test_statuses_and_uncovered(tree):
    cov = scan(tree)
    explained = next(iter(NOT_MODELLED))
    assert cov[explained].status == "explained"
    missing = uncovered(cov)
    assert "C2.15" not in missing and "C2.16" not in missing and explained not in missing
    assert "C0.1" in missing
    n = counts(cov)
    assert sum(n.values()) == len(CLAIMS)
    assert n["missing"] == len(missing)


def test_sources_and_unknown_ids(tree):
    write(tree, "ci_sim/extra.py", '"""Cites C9.1, which is not registered."""\n')
    cov = scan(tree)
    assert cov["Bo Trygt"].kind == "source"
    assert cov["Bo Trygt"].scenarios == ("scenarios/demo.toml",)
    assert cov["MedVind i Østerbyen"].tests == ("tests/test_mod.py::test_case",)
    assert cov["C9.1"].kind == "unregistered"
    assert "C9.1" not in uncovered(cov)
    text = render_markdown(cov)
    assert "| C9.1 | `extra` |" in text


def test_render_markdown_has_header_table_and_reasons(tree):
    text = render_markdown(scan(tree))
    assert text.startswith("# Claims coverage\n")
    assert "Generated by `ci-sim claims`" in text and "do not hand-edit" in text
    assert "| Claim | Description | Status | Mechanisms | Parameters | Tests |" in text
    row = next(line for line in text.splitlines() if line.startswith("| C2.15 |"))
    assert "| covered |" in row and "`mod.disturb`" in row
    assert "`tests/test_mod.py::test_disturbance_is_never_done`" in row
    for claim, reason in NOT_MODELLED.items():
        assert f"| {claim} | explained | {reason} |" in text
    assert all(name in text for name in SOURCES)


# --- command line ------------------------------------------------------------------


def test_cli_writes_then_checks(tree, tmp_path, capsys):
    out = tmp_path / "out" / "claims.md"
    assert main(["claims", "--root", str(tree), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "54 claims:" in printed and "missing: C0.1" in printed
    assert out.read_text(encoding="utf-8") == render_markdown(scan(tree))
    # The synthetic tree leaves claims missing, so --check fails even when up to date.
    assert main(["claims", "--root", str(tree), "--out", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "stale" not in err and "no mechanism, test or reason" in err


def test_cli_check_catches_a_stale_file(tmp_path, capsys):
    out = tmp_path / "claims.md"
    assert main(["claims", "--root", str(REPO), "--out", str(out)]) == 0
    assert main(["claims", "--root", str(REPO), "--out", str(out), "--check"]) == (
        1 if uncovered(scan(REPO)) else 0
    )
    out.write_text(out.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["claims", "--root", str(REPO), "--out", str(out), "--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_cli_default_output_is_docs_claims_md_of_the_repo(tree, capsys, monkeypatch):
    monkeypatch.chdir(tree)
    assert main(["claims", "--root", "."]) == 0
    assert (tree / "docs" / "claims.md").is_file()


def test_cli_reports_a_file_that_does_not_parse(tree, capsys):
    write(tree, "ci_sim/broken.py", "def f(:\n")
    assert main(["claims", "--root", str(tree), "--check"]) == 2
    assert "ci_sim/broken.py" in capsys.readouterr().err
