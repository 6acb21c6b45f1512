"""Writes docs/cli.md from the `cityline` argument parser (run: python scripts/gen_cli_docs.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cityline.cli import build_parser  # noqa: E402


def _help(parser: argparse.ArgumentParser) -> str:
    import os

    os.environ["COLUMNS"] = "100"
    return parser.format_help().rstrip() + "\n"


def render() -> str:
    parser = build_parser()
    parts = [
        "# The `cityline` command\n",
        "Generated from the command's own help by `python scripts/gen_cli_docs.py`; a test checks it is current.\n",
        "## cityline\n", "```text\n" + _help(parser) + "```\n",
    ]

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if name == "manage":
                        continue
                    parts.append(f"## {prefix} {name}\n")
                    parts.append("```text\n" + _help(sub) + "```\n")
                    walk(sub, f"{prefix} {name}")

    walk(parser, "cityline")
    parts.append("## cityline manage\n")
    parts.append("Passes its arguments to Django's management commands, e.g. "
                 "`cityline manage createsuperuser` or `cityline manage changepassword editor`.\n")
    return "\n".join(parts)


if __name__ == "__main__":
    Path(__file__).resolve().parents[1].joinpath("docs", "cli.md").write_text(render(), encoding="utf-8")
