"""The sources table: which files of which repository snapshot go into the corpus.

The table is a TSV file with a header line. Lines starting with ``#`` and blank lines are
ignored. Columns (order free, names fixed):

=================  ========================================================================
``repo``           ``owner/name`` on GitHub.
``commit``         40-hex commit id whose tree is read.
``subset``         short id of this row within the repo; ``group`` = ``repo:subset``.
``licence``        the licence that applies to the files (as found in the repository).
``label``          ``real`` or ``fake``.
``family``         normalised generator family (``gpt-image``, ``sd15``, ...) or ``camera``.
``generator``      free-text generator or camera detail.
``include``        Python regex searched in the file path; a file must match it.
``exclude``        Python regex; a matching file is dropped as ``path_excluded`` (may be empty).
``notes``          free text.
=================  ========================================================================
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from veracity.detector.trainingdata.corpus.errors import SourcesTableError

__all__ = ["REQUIRED_COLUMNS", "SourceRow", "load_sources", "repo_slug"]

REQUIRED_COLUMNS = (
    "repo",
    "commit",
    "subset",
    "licence",
    "label",
    "family",
    "generator",
    "include",
    "exclude",
    "notes",
)
LABELS = ("real", "fake")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_FAMILY_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_SUBSET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SourceRow:
    """One subset of one repository snapshot.

    Attributes:
        repo: ``owner/name``.
        commit: Commit id (40 lowercase hex digits) whose tree is read.
        subset: Short id unique within the repo.
        licence: Licence text recorded for every file of the row.
        label: ``"real"`` or ``"fake"``.
        family: Normalised generator family; ``"camera"`` for every real row.
        generator: Generator or camera detail.
        include: Compiled regex a path must match (``re.search``).
        exclude: Compiled regex that drops a matching path, or ``None``.
        notes: Free text.
        line: Line number in the table, for messages.
    """

    repo: str
    commit: str
    subset: str
    licence: str
    label: str
    family: str
    generator: str
    include: re.Pattern[str]
    exclude: re.Pattern[str] | None
    notes: str
    line: int

    @property
    def group(self) -> str:
        """Fold group: files of one group must stay in one cross-validation fold."""
        return f"{self.repo}:{self.subset}"

    @property
    def slug(self) -> str:
        """File-name prefix for this repository (see :func:`repo_slug`)."""
        return repo_slug(self.repo)

    def selects(self, path: str) -> bool:
        """Return True when ``path`` matches the include regex (exclusions not applied)."""
        return self.include.search(path) is not None

    def excludes(self, path: str) -> bool:
        """Return True when ``path`` matches the exclude regex."""
        return self.exclude is not None and self.exclude.search(path) is not None

    def to_dict(self) -> dict[str, object]:
        """Plain-data view (regexes as their pattern strings)."""
        return {
            "repo": self.repo,
            "commit": self.commit,
            "subset": self.subset,
            "licence": self.licence,
            "label": self.label,
            "family": self.family,
            "generator": self.generator,
            "include": self.include.pattern,
            "exclude": self.exclude.pattern if self.exclude else "",
            "notes": self.notes,
        }


def repo_slug(repo: str) -> str:
    """Return the file-name prefix of a repository: ``owner/name`` -> ``owner-name``.

    Example:
        >>> repo_slug("google/dreambooth")
        'google-dreambooth'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "-", repo.replace("/", "-")).strip("-")


def _compile(path: Path, line: int, column: str, value: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as exc:
        raise SourcesTableError(
            f"{path}:{line}: the '{column}' regex {value!r} does not compile ({exc}). "
            "Fix the pattern (Python re syntax)."
        ) from exc


def _check(path: Path, line: int, column: str, value: str, ok: bool, fix: str) -> None:
    if not ok:
        raise SourcesTableError(f"{path}:{line}: bad '{column}' value {value!r}. {fix}")


def _parse_row(path: Path, line: int, raw: dict[str, str]) -> SourceRow:
    values = {k: (raw.get(k) or "").strip() for k in REQUIRED_COLUMNS}
    _check(path, line, "repo", values["repo"], bool(_REPO_RE.match(values["repo"])), "Use owner/name.")
    _check(
        path,
        line,
        "commit",
        values["commit"],
        bool(_COMMIT_RE.match(values["commit"])),
        "Use the full 40-hex commit id.",
    )
    _check(
        path,
        line,
        "subset",
        values["subset"],
        bool(_SUBSET_RE.match(values["subset"])),
        "Use letters, digits, '.', '_' or '-'.",
    )
    _check(path, line, "label", values["label"], values["label"] in LABELS, f"Use one of {LABELS}.")
    _check(
        path,
        line,
        "family",
        values["family"],
        bool(_FAMILY_RE.match(values["family"])),
        "Use a short lowercase name such as 'sdxl' or 'camera'.",
    )
    if values["label"] == "real":
        _check(
            path,
            line,
            "family",
            values["family"],
            values["family"] == "camera",
            "Real rows use the family 'camera'.",
        )
    _check(
        path,
        line,
        "include",
        values["include"],
        bool(values["include"]),
        "Give a regex that selects the files of this subset.",
    )
    return SourceRow(
        repo=values["repo"],
        commit=values["commit"],
        subset=values["subset"],
        licence=values["licence"] or "none stated",
        label=values["label"],
        family=values["family"],
        generator=values["generator"],
        include=_compile(path, line, "include", values["include"]),
        exclude=_compile(path, line, "exclude", values["exclude"]) if values["exclude"] else None,
        notes=values["notes"],
        line=line,
    )


def load_sources(path: str | Path) -> list[SourceRow]:
    """Read and validate a sources table.

    Args:
        path: TSV file (see the module docstring for the columns).

    Returns:
        The rows in file order.

    Raises:
        FileNotFoundError: The file does not exist.
        SourcesTableError: A column is missing, a value is malformed, or a
            ``(repo, subset)`` pair repeats.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise SourcesTableError(f"{path}: the sources table is empty. Add a header line and rows.")
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourcesTableError(f"{path}: the header lacks the columns {missing}. Required: {list(REQUIRED_COLUMNS)}.")
    # Map data lines back to their real line numbers for messages.
    numbers = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() and not ln.lstrip().startswith("#")][1:]
    rows: list[SourceRow] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in zip(numbers, reader, strict=True):
        row = _parse_row(path, number, raw)
        key = (row.repo, row.subset)
        if key in seen:
            raise SourcesTableError(
                f"{path}:{number}: the subset {row.subset!r} of {row.repo} is listed twice. "
                "Give each row of a repository its own subset id."
            )
        seen.add(key)
        rows.append(row)
    return rows
