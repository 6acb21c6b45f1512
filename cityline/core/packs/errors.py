"""Problems found in a pack, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, located as precisely as we can: ``file:line: field.path: message``."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file or "pack"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message}


class PackError(Exception):
    """A pack is invalid; ``problems`` lists every problem found. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the city pack"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class PackRefused(PackError):
    """The importing user may not write some record of the pack (B10); ``problems`` names each one and the
    right it needs, with any other problem found. Nothing was written."""
