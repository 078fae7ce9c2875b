"""Register of the source's claims and a scanner that maps them to code, parameters and tests.

The source digest (``seed-claims.md``, kept next to the repository) numbers every claim of
"Fælles om forandring" that a simulation can represent: ``C0.1`` ... ``C5.7``. Code,
scenario files and tests cite these ids. This module holds the ids as data, so that the
project works without the digest, and finds where each id is cited:

* **mechanisms**: in ``ci_sim/*.py`` (this module excluded), the innermost function,
  method or class whose docstring, comments or body cite the id, written
  ``module.function``, ``module.Class.method`` or ``module.Class``. A comment on its own
  line belongs to the statement below it, a string right after an assignment to that
  assignment; module-level citations name the assigned constant (``module.NAME``) or,
  for the module docstring, the module itself. An id written as a string literal of its
  own (``"C2.13"``, as in the claim tuples of ``patterns.PATTERNS``) is a reference held
  as data, not a mechanism: it counts for the tests that use that name (below).
* **parameters**: dotted keys of ``ci_sim/params.py`` whose section docstring, field,
  field comment or field docstring cites the id (a clause of a section docstring that
  names a field in double backquotes maps to that field, otherwise to the section), and
  scenario files ``scenarios/*.toml`` whose text cites the id.
* **tests**: ``tests/file.py::test_name`` (this module's own test file excluded) whose
  decorators, docstring or body cite the id, or that use (directly or through module-level
  helpers) a helper or constant of the test module citing it or a package name holding the
  id as data; a test module's docstring counts for every test in the module.

A range such as ``C4.1-C4.4`` (also ``C4.1-4.4``, with a hyphen or an en dash) cites every
registered id from its first to its last id. The status of a claim is

* ``covered``: at least one mechanism and at least one test;
* ``explained``: not covered, and :data:`NOT_MODELLED` gives the reason;
* ``partly``: not explained, and a mechanism or a test, but not both;
* ``missing``: none of these (see :func:`uncovered`).

The cases of the digest and Lindegaard (2025) (:data:`SOURCES`) are found the same way, by
name, and listed apart; they have no status. ``docs/claims.md`` is generated from
:func:`render_markdown` by ``ci-sim claims``.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Every claim id of the digest, in digest order, with a short description.
CLAIMS: dict[str, str] = {
    "C0.1": "Stubborn problems are spread over many actors that each own a part; root causes "
    "are unclear and no actor can solve them alone.",
    "C0.2": "Organisations that rally around a shared analysis, vision and action can unstick "
    "a problem that seemed stuck.",
    "C1.1": "The organised welfare state delivers well, but its routines and silos keep "
    "problems in place.",
    "C1.2": "CI opens a free space outside the existing organisations for curiosity, "
    "experiments and new ways to measure.",
    "C1.3": "The five classic conditions: common agenda, shared measurement, continuous "
    "communication, mutually reinforcing activities, a backbone.",
    "C2.1": "Shared will cannot be taken for granted; it must grow and be anchored in every "
    "organisation to survive setbacks.",
    "C2.2": "Each actor brings its own logic, strategy and mindset, plus pressure from its "
    "politicians, funders, members, boards and media.",
    "C2.3": "A joint analysis of root causes grounds shared understanding; actors learn each "
    "other's logics and move beyond them.",
    "C2.4": "Working together has a value of its own: shared effort builds belonging even "
    "when first attempts fail.",
    "C2.5": "The shared analysis must be anchored broadly in the organisations, not in a "
    "narrow group; the broader, the stronger.",
    "C2.6": "Lasting change involves thousands of people, driven by a small core that must "
    "pull the others closer.",
    "C2.7": "Leaders must understand the problem and CI and be ready to change their own "
    "organisation; leaders come and go.",
    "C2.8": "Before a backbone exists, initiators and willing people across roles mobilise "
    "the effort.",
    "C2.9": "Asking for data is the first test of will: a refusal signals missing will or a "
    "problem that does not suit CI.",
    "C2.10": "Work with the willing, confront those who dominate or withdraw, and let go of "
    "those who do not want change.",
    "C2.11": "A neutral backbone outside the structures and economies under change helps "
    "innovation and systemic change.",
    "C2.12": "A dedicated, full-time backbone; a part-time project in a host's portfolio "
    "takes on the host's logic.",
    "C2.13": "Independence must not become isolation: a free-floating backbone's ideas "
    "rarely get anchored with the actors.",
    "C2.14": "The backbone pulls actors in, pushes back those who try to take over, and "
    "challenges habits without burning bridges.",
    "C2.15": "Disturbing routines is never done; once the disturbance stops, organisations "
    "slide back to old routines.",
    "C2.16": "Actors pull the backbone toward their own interests; without a firm stance it "
    "drifts to the most powerful.",
    "C2.17": "The backbone mobilises others' power but should neither decide nor grow into "
    "delivering solutions itself.",
    "C2.18": "No economic stake may depend on the outcome; consensus is not needed, but own "
    "interests must step back.",
    "C2.19": "Where the backbone sits shapes what it hears and thinks; a coordinator shared "
    "by two organisations spreads knowledge.",
    "C2.20": "Close, trusting relations build will, learning, narrative and change leaders; "
    "change lasts only when mindsets change.",
    "C2.21": "The backbone builds relations by honest, curious talk and brokers trusting "
    "talks directly between actors.",
    "C2.22": "Leadership moves between the backbone and local change leaders; a handover can "
    "fail and force a restart.",
    "C2.23": "Coffee meetings without an agenda or product build understanding, shift "
    "mindsets and create ownership.",
    "C2.24": "Trust lives in people, not organisations, so it must be rebuilt when people "
    "change jobs.",
    "C2.25": "The story of change keeps its force only when it is retold and renewed as the "
    "situation changes.",
    "C2.26": "Backbone staff need strong motivation to get through lonely, hard periods "
    "(actors pulling away, funding shifts).",
    "C3.1": "Do not design CI with the logics used to build other organisations.",
    "C3.2": "Success is what happens between the actors with the backbone as facilitator, "
    "not a new delivering organisation.",
    "C3.3": "A backbone must not count its own growth as success: the most effect from the "
    "smallest organisation.",
    "C3.4": "Steering groups should avoid tight goals and deadlines, forced inclusion, "
    "narrow mandates and fixed-format reporting.",
    "C3.5": "Spend more effort on learning and supporting impact than on proving results; "
    "read data honestly.",
    "C3.6": "Build capacity in the actors, not the backbone; keep it at a distance from any "
    "one actor, with access and a joint mandate.",
    "C3.7": "Plan for transformation: the backbone changes phase with the field, expects no "
    "early results and expires in 10-15 years.",
    "C3.8": "Give the backbone freedom (loose mandates, agenda-free time, trust over "
    "transparency demands) and expect it to use it well.",
    "C3.9": "Backbone work needs domain, method and people skills, often from more than one "
    "person.",
    "C3.10": "Know each organisation's history and logic, treat conflicting interests as a "
    "given, and keep every central actor inside.",
    "C3.11": "Create ongoing successes owned by others; a backbone taking credit pushes "
    "actors back, one never seen may vanish.",
    "C3.12": "Keep tearing down and rebuilding: what is strong on day one reproduces old "
    "logics, past proof can become a barrier.",
    "C4.1": "Task 1, development through relations: shared will, understanding, narrative "
    "and learning; mindsets shift through dialogue.",
    "C4.2": "Task 2, development through capabilities: joint strategies and goals, "
    "orchestrated trial activities, shared data.",
    "C4.3": "Task 3, anchoring through capabilities: mandate, access, resources, and "
    "innovations carried into lasting practice.",
    "C4.4": "Task 4, anchoring through relations: trust under pressure, legitimacy, shared "
    "ownership, change leaders inside organisations.",
    "C5.1": "CI is no cure-all; it suits long, deep change with many actors, the hardest kind.",
    "C5.2": "Actors may lack a common language, compete for the same funds, or be judged on "
    "narrow criteria.",
    "C5.3": "The task can change on the way, e.g. from introducing a method to changing the "
    "national frame that blocked it.",
    "C5.4": "Pressure to deliver turns open, curious conversation into a risk; the more "
    "pressure, the more focus on delivery.",
    "C5.5": "The welfare model is poor at changing itself, not from ill will but from "
    "pressure to deliver its core task.",
    "C5.6": "Shifting the frames and incentives set by regulation and public bodies "
    "releases systemic change at scale.",
    "C5.7": "Systemic change needs work with people, curiosity about root causes, pooled "
    "resources for frames, and will.",
}

#: Claims the model does not carry (or carries only in part), with the reason.
NOT_MODELLED: dict[str, str] = {
    "C1.2": "The free space outside the organisations is not an entity of its own; only its "
    "ingredients are (curiosity in `dynamics.curiosity`, trial actions in "
    "`dynamics.run_activities`).",
    "C2.5": "Breadth of anchoring acts only through organisation means of will and mindset; "
    "there is no mechanism that contrasts a narrow group with broad anchoring.",
    "C2.6": "The scale of thousands of people and a small driving core is not represented: "
    "organisations have at most 200 people and the backbone is an FTE count, not people.",
    "C2.25": "There is no narrative state, so retelling and renewing the story of change "
    "cannot be modelled.",
    "C2.26": "Backbone staff are an FTE count, not agents with motivation; only the hard "
    "periods themselves (funding cuts, leader waves) exist, as shocks.",
    "C3.1": "A design principle above the mechanisms; it shows only through the levers "
    "(`backbone.growth`, `governance.*`).",
    "C3.9": "Competences are neither state nor lever: facilitation widens the meeting scale "
    "in `dynamics._meet_on_ties` by a fixed form, so skills and their mix cannot vary.",
    "C5.1": "A statement of scope (when CI fits), not a mechanism.",
}

#: Cases and other sources of the digest that scenarios and tests may name.
SOURCES: dict[str, str] = {
    "Fremtidens bæredygtige landskaber": "Case (2014-2022): 15 opposed organisations, a "
    "small neutral backbone; four years in, the national budget funded similar pilots.",
    "Bo Trygt": "Case (burglary, from 2018): the problem moved from the police's job to one "
    "that many actors own.",
    "MedVind i Østerbyen": "Case (Esbjerg, from 2016): a 12-year funding frame; 96% of "
    "actors feel respected by the other organisations.",
    "Hjem til alle": "Case (youth homelessness, from 2016): began with a new approach and "
    "changed the national frame that blocked it.",
    "Lindegaard (2025)": "PhD: transformative change rests on invisible relational work in "
    "the actor field.",
}

#: How each entry of :data:`SOURCES` is recognised: case-insensitive, not inside a word
#: (an underscore separates words, so ``test_medvind_...`` and ``bo_trygt`` count).
SOURCE_PATTERNS: dict[str, str] = {
    "Fremtidens bæredygtige landskaber": r"landskaber",
    "Bo Trygt": r"bo[ _]trygt",
    "MedVind i Østerbyen": r"medvind",
    "Hjem til alle": r"hjem[ _]til[ _]alle",
    "Lindegaard (2025)": r"lindegaard",
}

#: Statuses in report order.
STATUSES = ("covered", "partly", "explained", "missing")
#: Files that list every id on purpose and are therefore not scanned.
EXCLUDED = ("ci_sim/claims.py", "tests/test_claims.py")
PACKAGE = "ci_sim"

_SOURCE = re.compile(
    "|".join(f"(?P<s{i}>{pattern})" for i, pattern in enumerate(SOURCE_PATTERNS.values())),
    re.IGNORECASE,
)
_CITE = re.compile(
    r"(?<![A-Za-z0-9_.])C(\d+)\.(\d+)(?:\s*[-\u2013]\s*C(\d+)\.(\d+)|[-\u2013](\d+)\.(\d+))?"
    r"(?![\d])"
)


@dataclass(frozen=True)
class Coverage:
    """Where one claim is cited.

    Attributes:
        claim: the claim id.
        mechanisms: ``module.function``-style names in ``ci_sim/``.
        parameters: dotted parameter keys of ``ci_sim/params.py``.
        scenarios: scenario files (``scenarios/name.toml``).
        tests: ``tests/file.py::test_name`` ids.
        kind: ``claim`` for a registered id, ``source`` for an entry of :data:`SOURCES`,
            ``unregistered`` for a cited id that is not in the register.

    """

    claim: str
    mechanisms: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    kind: str = "claim"

    @property
    def registered(self) -> bool:
        """Whether this is a registered claim (not a source, not an unknown id)."""
        return self.kind == "claim"

    @property
    def status(self) -> str:
        """Return ``covered``, ``explained``, ``partly`` or ``missing`` (module docstring)."""
        if self.mechanisms and self.tests:
            return "covered"
        if self.claim in NOT_MODELLED:
            return "explained"
        if self.mechanisms or self.tests:
            return "partly"
        return "missing"


def _key(claim: str) -> tuple[int, int]:
    chapter, number = claim[1:].split(".")
    return int(chapter), int(number)


def cited_ids(text: str, register: Iterable[str] = CLAIMS) -> list[tuple[int, str]]:
    """Return every ``(line, claim id)`` cited in ``text``, with ranges expanded.

    Args:
        text: the text to search.
        register: the known ids; a range expands to the known ids within it.

    Returns:
        Pairs of a 1-based line number (of the citation's start) and a claim id.

    """
    known = list(register)
    out: list[tuple[int, str]] = []
    for match in _CITE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        first = f"C{match[1]}.{match[2]}"
        end = match[3] or match[5]
        if end is None:
            out.append((line, first))
            continue
        last = f"C{end}.{match[4] or match[6]}"
        low, high = _key(first), _key(last)
        inside = [c for c in known if low <= _key(c) <= high]
        for claim in dict.fromkeys([first, *inside, last]):
            out.append((line, claim))
    return out


def cited_sources(text: str) -> list[tuple[int, str]]:
    """Return every ``(line, source name)`` of :data:`SOURCES` named in ``text``."""
    names = list(SOURCE_PATTERNS)
    out: list[tuple[int, str]] = []
    for match in _SOURCE.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if before.isalpha() or after.isalpha():
            continue
        line = text.count("\n", 0, match.start()) + 1
        index = next(i for i, group in enumerate(match.groups()) if group is not None)
        out.append((line, names[index]))
    return out


def _cited(text: str, register: Iterable[str]) -> list[tuple[int, str]]:
    return [*cited_ids(text, register), *cited_sources(text)]


# --- mapping lines of Python source to the names that own them ------------------------


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _start(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _stmt_name(stmt: ast.stmt) -> str | None:
    """Return the name a statement defines or assigns, if any."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    for target in targets:
        if isinstance(target, ast.Name):
            return target.id
    return None


def _body_owner(body: list[ast.stmt], line: int, lines: list[str]) -> tuple[str, ...]:
    """Return the name path that owns ``line`` within a block of statements."""
    for index, stmt in enumerate(body):
        if _start(stmt) <= line <= (stmt.end_lineno or stmt.lineno):
            return _stmt_owner(body, index, line, lines)
    # ``line`` lies between statements: a comment or part of a docstring's gap.
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    column = len(text) - len(text.lstrip())
    after = [i for i, stmt in enumerate(body) if _start(stmt) > line]
    before = [i for i, stmt in enumerate(body) if (stmt.end_lineno or stmt.lineno) < line]
    if after and column <= body[after[0]].col_offset:
        return _stmt_owner(body, after[0], None, lines)
    if before:  # a comment indented under the previous statement, or at the block's end
        return _stmt_owner(body, before[-1], None, lines)
    return ()


def _stmt_owner(
    body: list[ast.stmt], index: int, line: int | None, lines: list[str]
) -> tuple[str, ...]:
    """Return the name path of ``body[index]``, descending into it when ``line`` is set."""
    stmt = body[index]
    if _is_docstring(stmt) and index > 0:  # an attribute docstring documents the stmt above
        name = _stmt_name(body[index - 1])
        return (name,) if name else ()
    if isinstance(stmt, ast.ClassDef):
        inside = line is not None and line > stmt.lineno  # not the header or a decorator
        inner = _body_owner(stmt.body, line, lines) if inside else ()
        return (stmt.name, *inner)
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        inner = ()
        if line is not None and line >= stmt.body[0].lineno:
            inner = _nested_def(stmt.body, line, lines)
        return (stmt.name, *inner)
    name = _stmt_name(stmt)
    return (name,) if name else ()


def _nested_def(body: list[ast.stmt], line: int, lines: list[str]) -> tuple[str, ...]:
    """Return the path of a def or class nested in a function body that holds ``line``."""
    for stmt in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if _start(stmt) <= line <= (stmt.end_lineno or stmt.lineno):
                return _stmt_owner([stmt], 0, line, lines)
    return ()


@dataclass(frozen=True)
class _Citation:
    """One cited id in a Python file and the name path that owns the citing line.

    ``data`` is true when the id is a string literal of its own (``"C2.13"``, e.g. in a
    table of pattern checks): a reference held as data, not prose that cites the claim.
    """

    claim: str
    owner: tuple[str, ...]
    line: int
    data: bool = False


def _citations(
    text: str, register: Iterable[str], filename: str = "<unknown>"
) -> tuple[ast.Module, list[_Citation]]:
    tree = ast.parse(text, filename=filename)
    lines = text.splitlines()
    prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings
    data = {
        (node.lineno, claim)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in prose
        and _CITE.fullmatch(node.value.strip())
        for _, claim in cited_ids(node.value.strip(), register)
    }
    found = [
        _Citation(claim, _body_owner(tree.body, line, lines), line, (line, claim) in data)
        for line, claim in _cited(text, register)
    ]
    return tree, found


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root / PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or PACKAGE


# --- parameters -----------------------------------------------------------------------


def _annotation_names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _sections(tree: ast.Module) -> dict[str, tuple[str, dict[str, ast.AnnAssign]]]:
    """Return, for each class reachable from ``Params``, its dotted prefix and fields."""
    classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    fields = {
        name: {
            s.target.id: s
            for s in cls.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
        }
        for name, cls in classes.items()
    }
    out: dict[str, tuple[str, dict[str, ast.AnnAssign]]] = {}
    if "Params" not in classes:
        return out
    queue = [("Params", "")]
    while queue:
        name, prefix = queue.pop(0)
        if name in out:
            continue
        out[name] = (prefix, fields[name])
        for field, stmt in fields[name].items():
            for ref in sorted(_annotation_names(stmt.annotation) & set(classes)):
                queue.append((ref, f"{prefix}.{field}" if prefix else field))
    return out


_FIELD_REF = re.compile(r"``([A-Za-z_][A-Za-z0-9_]*)``")


def _docstring_fields(doc: str, claim: str, fields: Iterable[str]) -> list[str]:
    """Return the fields named in double backquotes in the clauses of ``doc`` citing ``claim``."""
    names = set(fields)
    out: list[str] = []
    for clause in re.split(r"(?<=[.;])\s+|\n\s*\n", doc):
        if any(c == claim for _, c in cited_ids(clause)):
            out.extend(f for f in _FIELD_REF.findall(clause) if f in names)
    return list(dict.fromkeys(out))


def _parameter_keys(
    tree: ast.Module, citation: _Citation, sections: Mapping[str, tuple[str, dict]]
) -> list[str] | None:
    """Return the parameter keys a citation in ``params.py`` names, or None if none."""
    if not citation.owner or citation.owner[0] not in sections:
        return None
    prefix, fields = sections[citation.owner[0]]
    if len(citation.owner) > 1 and citation.owner[1] in fields:
        field = citation.owner[1]
        return [f"{prefix}.{field}" if prefix else field]
    cls = next(s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == citation.owner[0])
    doc = ast.get_docstring(cls) or ""
    named = _docstring_fields(doc, citation.claim, fields) if len(citation.owner) == 1 else []
    if named:
        return [f"{prefix}.{f}" if prefix else f for f in named]
    return [prefix] if prefix else None


# --- tests ----------------------------------------------------------------------------


def _test_names(tree: ast.Module) -> dict[tuple[str, ...], list[str]]:
    """Return test ids (``name`` or ``Class::name``) by the top-level name that holds them."""
    out: dict[tuple[str, ...], list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if stmt.name.startswith("test"):
                out[(stmt.name,)] = [stmt.name]
        elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            for inner in stmt.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    if inner.name.startswith("test"):
                        out[(stmt.name, inner.name)] = [f"{stmt.name}::{inner.name}"]
    return out


def _dotted(node: ast.expr) -> str | None:
    """Return ``a.b.c`` for an attribute chain on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _references(tree: ast.Module) -> dict[str, set[str]]:
    """Return, for each top-level name, the names its statement uses (fixtures included).

    Attribute chains on a name count as dotted names too (``patterns.PATTERNS``).
    """
    out: dict[str, set[str]] = defaultdict(set)
    for stmt in tree.body:
        name = _stmt_name(stmt)
        if name is None:
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                out[name].add(node.id)
            elif isinstance(node, ast.arg):
                out[name].add(node.arg)
            elif isinstance(node, ast.Attribute) and (dotted := _dotted(node)):
                out[name].add(dotted)
    return out


def _imported_claims(
    tree: ast.Module, data: Mapping[tuple[str, str], set[str]]
) -> dict[str, set[str]]:
    """Return the local names of a test module that import claim references held as data.

    Args:
        tree: the test module.
        data: claims held as data by ``(module, top-level name)`` in the package.

    Returns:
        For each local name (``PATTERNS``) or dotted name (``patterns.PATTERNS``,
        ``ci_sim.patterns.PATTERNS``), the claims it brings in.

    """
    out: dict[str, set[str]] = defaultdict(set)

    def module_alias(local: str, module: str) -> None:
        for (mod, name), claims in data.items():
            if mod == module:
                out[f"{local}.{name}"] |= claims

    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            parts = stmt.module.split(".")
            if parts[0] != PACKAGE:
                continue
            module = ".".join(parts[1:])
            for alias in stmt.names:
                local = alias.asname or alias.name
                for (mod, name), claims in data.items():
                    if name == alias.name and (mod == module or not module):
                        out[local] |= claims
                module_alias(local, f"{module}.{alias.name}" if module else alias.name)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name.startswith(PACKAGE + "."):
                    module_alias(alias.asname or alias.name, alias.name[len(PACKAGE) + 1 :])
    return out


def _reachable(start: str, refs: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for ref in refs.get(stack.pop(), ()):
            if ref not in seen:
                seen.add(ref)
                stack.append(ref)
    return seen


def _tests_citing(
    tree: ast.Module, found: list[_Citation], imported: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """Return, for each claim, the test ids (without file) that cite it in one module.

    Args:
        tree: the test module.
        found: the citations in it.
        imported: claims brought in by imported names (:func:`_imported_claims`).

    """
    tests = _test_names(tree)
    every = [t for names in tests.values() for t in names]
    refs = _references(tree)
    by_name: dict[str, set[str]] = defaultdict(set)  # helper or imported name -> claims
    for name, claims in imported.items():
        by_name[name] |= claims
    out: dict[str, set[str]] = defaultdict(set)
    for cite in found:
        direct = [
            t for path, names in tests.items() for t in names if cite.owner[: len(path)] == path
        ]
        if direct:
            out[cite.claim].update(direct)
        elif not cite.owner:  # module docstring or another unnamed module-level statement
            out[cite.claim].update(every)
        else:
            by_name[cite.owner[0]].add(cite.claim)
    for path, names in tests.items():
        for helper in _reachable(path[0], refs) - {path[0]}:
            for claim in by_name.get(helper, ()):
                out[claim].update(names)
    return out


# --- scan -----------------------------------------------------------------------------


def _python_files(folder: Path, root: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*.py")
        if "__pycache__" not in p.parts and _rel(p, root) not in EXCLUDED
    )


def scan(root: Path, register: Mapping[str, str] = CLAIMS) -> dict[str, Coverage]:
    """Find where every claim is cited in a repository.

    Args:
        root: the repository root (it holds ``ci_sim/``, ``scenarios/`` and ``tests/``).
        register: the registered claims (default :data:`CLAIMS`).

    Returns:
        One :class:`Coverage` per registered claim in register order, then one per entry
        of :data:`SOURCES` (``kind="source"``), then one per cited id that is not
        registered (``kind="unregistered"``), sorted by id.

    Raises:
        SyntaxError: when a Python file of the package or the tests does not parse.

    """
    root = Path(root)
    hits: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    data: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in _python_files(root / PACKAGE, root):
        tree, found = _citations(path.read_text(encoding="utf-8"), register, _rel(path, root))
        module = _module_name(path, root)
        sections = _sections(tree) if module == "params" else {}
        for cite in found:
            keys = _parameter_keys(tree, cite, sections) if sections else None
            if cite.data:
                if cite.owner:
                    data[(module, cite.owner[0])].add(cite.claim)
            elif keys is not None:
                hits[cite.claim]["parameters"].update(keys)
            else:
                hits[cite.claim]["mechanisms"].add(".".join((module, *cite.owner)))
    scenario_dir = root / "scenarios"
    for path in sorted(scenario_dir.glob("*.toml")) if scenario_dir.is_dir() else []:
        for _, claim in _cited(path.read_text(encoding="utf-8"), register):
            hits[claim]["scenarios"].add(_rel(path, root))
    for path in _python_files(root / "tests", root):
        tree, found = _citations(path.read_text(encoding="utf-8"), register, _rel(path, root))
        imported = _imported_claims(tree, data)
        for claim, names in _tests_citing(tree, found, imported).items():
            hits[claim]["tests"].update(f"{_rel(path, root)}::{name}" for name in names)
    unknown = sorted((c for c in hits if c not in register and c not in SOURCES), key=_key)
    kinds = {
        **dict.fromkeys(register, "claim"),
        **dict.fromkeys(SOURCES, "source"),
        **dict.fromkeys(unknown, "unregistered"),
    }
    empty: dict[str, set[str]] = defaultdict(set)
    return {
        claim: Coverage(
            claim=claim,
            mechanisms=tuple(sorted(hits.get(claim, empty)["mechanisms"])),
            parameters=tuple(sorted(hits.get(claim, empty)["parameters"])),
            scenarios=tuple(sorted(hits.get(claim, empty)["scenarios"])),
            tests=tuple(sorted(hits.get(claim, empty)["tests"])),
            kind=kind,
        )
        for claim, kind in kinds.items()
    }


def uncovered(coverage: Mapping[str, Coverage]) -> list[str]:
    """Return the registered claims with no mechanism, no test and no not-modelled reason."""
    return [c for c, cov in coverage.items() if cov.registered and cov.status == "missing"]


def counts(coverage: Mapping[str, Coverage]) -> dict[str, int]:
    """Return the number of registered claims per status, in :data:`STATUSES` order."""
    out = dict.fromkeys(STATUSES, 0)
    for cov in coverage.values():
        if cov.registered:
            out[cov.status] += 1
    return out


def summary_line(coverage: Mapping[str, Coverage]) -> str:
    """Return ``N claims: a covered, b partly, c explained, d missing``."""
    n = counts(coverage)
    total = sum(n.values())
    return f"{total} claims: " + ", ".join(f"{n[s]} {s}" for s in STATUSES)


# --- markdown -------------------------------------------------------------------------


def _cell(items: Iterable[str]) -> str:
    text = ", ".join(f"`{item}`" for item in items)
    return text or "-"


def render_markdown(coverage: Mapping[str, Coverage]) -> str:
    """Return the text of ``docs/claims.md`` for a scan.

    Args:
        coverage: the result of :func:`scan`.

    Returns:
        Markdown: a generated-file header, the status counts, a table of every claim
        (id, description, status, mechanisms, parameters, tests), the not-modelled
        claims with their reasons, the cases, and any cited ids that are not registered.

    """
    lines = [
        "# Claims coverage",
        "",
        "<!-- Generated by `ci-sim claims` from ci_sim/claims.py and the citations in "
        "ci_sim/, scenarios/ and tests/. Do not edit by hand. -->",
        "",
        "Generated by `ci-sim claims`: do not hand-edit. Regenerate with `ci-sim claims`; "
        "`ci-sim claims --check` fails when this file is stale or a claim is missing. The "
        "register, the not-modelled reasons and the rules that find citations are in "
        "`ci_sim/claims.py`.",
        "",
        f"**{summary_line(coverage)}.**",
        "",
        "Status: **covered** = at least one mechanism and one test cite the claim; "
        "**explained** = not covered, and the model leaves it out (or carries only part of "
        "it) for the reason given below; **partly** = a mechanism or a test, not both; "
        "**missing** = none of these.",
        "Mechanisms are names in `ci_sim/` (`module.function`, `module.Class.method`, "
        "`module.CONSTANT`, or a module for its docstring); parameters are keys of "
        "`ci_sim/params.py` and scenario files that cite the claim. A range such as "
        "C4.1-C4.4 cites every id in it.",
        "",
        "| Claim | Description | Status | Mechanisms | Parameters | Tests |",
        "|---|---|---|---|---|---|",
    ]
    for cov in coverage.values():
        if cov.registered:
            lines.append(
                f"| {cov.claim} | {CLAIMS.get(cov.claim, '')} | {cov.status} "
                f"| {_cell(cov.mechanisms)} | {_cell([*cov.parameters, *cov.scenarios])} "
                f"| {_cell(cov.tests)} |"
            )
    lines += ["", "## Not modelled", "", "| Claim | Status | Reason |", "|---|---|---|"]
    for claim, reason in NOT_MODELLED.items():
        status = coverage[claim].status if claim in coverage else "missing"
        lines.append(f"| {claim} | {status} | {reason} |")
    lines += [
        "",
        "## Cases and other sources",
        "",
        "Not calibration targets; listed with the code, scenarios and tests that name them.",
        "",
        "| Source | Summary | Mechanisms | Scenarios | Tests |",
        "|---|---|---|---|---|",
    ]
    for cov in coverage.values():
        if cov.kind == "source":
            lines.append(
                f"| {cov.claim} | {SOURCES.get(cov.claim, '')} | {_cell(cov.mechanisms)} "
                f"| {_cell(cov.scenarios)} | {_cell(cov.tests)} |"
            )
    unknown = [cov for cov in coverage.values() if cov.kind == "unregistered"]
    if unknown:
        lines += ["", "## Cited ids that are not registered", "", "| Id | Cited by |", "|---|---|"]
        for cov in unknown:
            where = [*cov.mechanisms, *cov.parameters, *cov.scenarios, *cov.tests]
            lines.append(f"| {cov.claim} | {_cell(where)} |")
    return "\n".join(lines) + "\n"


def find_root(start: Path | None = None) -> Path:
    """Return the repository root: the package's parent if it holds ``tests/``, else cwd's.

    Args:
        start: where to look upward from when the package is installed elsewhere
            (default: the current directory).

    Raises:
        FileNotFoundError: when no folder holds both ``ci_sim/`` and ``pyproject.toml``.

    """
    here = Path(__file__).resolve().parent.parent
    if (here / PACKAGE).is_dir() and (here / "pyproject.toml").is_file():
        return here
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PACKAGE).is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    raise FileNotFoundError("no repository root (a folder with ci_sim/ and pyproject.toml)")
