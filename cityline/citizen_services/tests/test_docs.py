"""The worked examples of docs/services-and-channels.md are tests: every ```pycon block runs as a doctest (B11.b)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "services-and-channels.md"
BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_doc_has_the_calculator_example_and_the_views():
    text = "".join(body for _, body in _blocks())
    for needle in ("shift.calculate(", "cost_per_service(", "league_table(", "below_standard(", "silo_gaps("):
        assert needle in text, f"no worked example uses {needle}"


def test_the_doc_examples_run_and_print_what_the_doc_says():
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict = {}
    failures: list[str] = []
    for line, body in _blocks():
        test = parser.get_doctest(body, globs, f"{DOC.name}:{line}", str(DOC), line - 1)
        result = runner.run(test, out=failures.append, clear_globs=False)
        globs = test.globs
        assert result.attempted, f"block at line {line} has no examples"
    assert not failures, "".join(failures)
