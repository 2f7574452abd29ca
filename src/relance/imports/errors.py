"""Import problems: each names the file, row, column, value and what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relance.domain.errors import RelanceError

MAX_SHOWN = 200


@dataclass(frozen=True)
class ImportProblem:
    """One problem in an import file (row 0 means the file as a whole)."""

    file: str
    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        found = f"valeur « {self.value} » : " if self.value else ""
        return f"{', '.join(where)} : {found}{self.expected}"

    def as_dict(self) -> dict[str, object]:
        """JSON form, for `--json`."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }


class ImportFailed(RelanceError):
    """An import was refused: nothing was written; every problem is listed."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = (
            f"Import refusé : {count} problème{'s' if count > 1 else ''} trouvé"
            f"{'s' if count > 1 else ''}, rien n'a été enregistré."
        )
        lines = [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"  … et {count - MAX_SHOWN} autres problèmes.")
        super().__init__("\n".join([head, *lines]))
