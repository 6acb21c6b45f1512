"""The worked examples of docs/benefits/kpi-status.md are tests: every ```pycon block runs as a doctest.

No database: the rules are plain functions (C2.a, C2.b, C2.f, C3.d).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "benefits" / "kpi-status.md"
BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_doc_has_worked_examples_for_each_rule():
    text = "".join(body for _, body in _blocks())
    # each family of rules has at least one example on the page
    for needle in ("expected(", "smart_findings(", "status(", "Tolerance(", "data_overdue", "target_band",
                   "forecast(", "status_many(", "forecast_many("):
        assert needle in text, f"no worked example uses {needle}"
    assert len(_blocks()) >= 10


def test_the_doc_examples_run_and_print_what_the_doc_says():
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict = {}
    failures = []
    for line, body in _blocks():
        test = parser.get_doctest(body, globs, f"{DOC.name}:{line}", str(DOC), line - 1)
        result = runner.run(test, out=failures.append, clear_globs=False)
        globs = test.globs
        assert result.attempted, f"block at line {line} has no examples"
    assert not failures, "".join(failures)
