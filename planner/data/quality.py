"""The data-quality report: every change cleaning made to the data, counted.

Nothing is silently dropped or changed: each cleaning step records how many rows or cells it
touched, and files or columns the loader did not use are listed as ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Step(StrEnum):
    """The cleaning steps that can change data."""

    BLANK_ROWS = "blank rows skipped"
    DEFAULT_APPLIED = "default applied"
    DUPLICATES_SUMMED = "duplicate rows summed"
    BUCKETED = "dates bucketed into ISO weeks"
    WEEKS_AGGREGATED = "rows aggregated into weeks"
    WEEKS_FILLED = "missing weeks filled with zero"
    SERIES_FILLED = "series with missing weeks"
    INVENTORY_ADDED = "missing inventory set to 0"
    CENSORED_IMPUTED = "censored weeks imputed"
    OUTLIERS_CAPPED = "outliers capped"


@dataclass(frozen=True)
class StepRecord:
    """One cleaning step applied to one table (and column, for defaults)."""

    table: str
    step: Step
    count: int
    detail: str = ""
    column: str = ""


@dataclass(frozen=True)
class Ignored:
    """A file or column the loader did not use, and why."""

    file: str
    reason: str
    column: str = ""


@dataclass
class QualityReport:
    """What the loader read, what cleaning changed and what it ignored."""

    dataset: str = ""
    fingerprint: str = ""
    files: dict[str, str] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_clean: dict[str, int] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)

    def add(self, table: str, step: Step, count: int, detail: str = "", column: str = "") -> None:
        """Record a step; steps that changed nothing (count 0) are not recorded."""
        if count > 0:
            self.steps.append(StepRecord(table, step, int(count), detail, column))

    def count(self, table: str, step: Step, column: str | None = None) -> int:
        """Total count of `step` on `table` (optionally one column); 0 when it never happened."""
        return sum(
            s.count
            for s in self.steps
            if s.table == table and s.step == step and (column is None or s.column == column)
        )

    def render(self) -> str:
        """A plain-text report for `planner validate`."""
        title = f"Data quality report: {self.dataset}" if self.dataset else "Data quality report"
        lines = [title]
        if self.fingerprint:
            lines.append(f"fingerprint {self.fingerprint[:16]}")
        lines += ["", "Tables read:"]
        width = max((len(f) for f in self.files.values()), default=0)
        for table, file in self.files.items():
            read = self.rows_read.get(table, 0)
            text = f"  {file:<{width}}  {read:>9,} row{'' if read == 1 else 's'}"
            if table in self.rows_clean and self.rows_clean[table] != read:
                text += f" -> {self.rows_clean[table]:,} after cleaning"
            lines.append(text)
        if self.summary:
            lines += ["", "Summary:"]
            lines += [f"  {key}: {value}" for key, value in self.summary.items()]
        lines += ["", "Cleaning steps:"]
        if not self.steps:
            lines.append("  none: the data needed no changes")
        for s in self.steps:
            what = f"{s.step.value} ({s.column})" if s.column else s.step.value
            text = f"  {s.table:<12} {what:<44} {s.count:>9,}"
            if s.detail:
                text += f"  {s.detail}"
            lines.append(text)
        if self.ignored:
            lines += ["", "Ignored:"]
            for item in self.ignored:
                where = f"{item.file} column {item.column!r}" if item.column else item.file
                lines.append(f"  {where}: {item.reason}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """A JSON-serialisable copy of the report."""
        return {
            "dataset": self.dataset,
            "fingerprint": self.fingerprint,
            "files": dict(self.files),
            "rows_read": dict(self.rows_read),
            "rows_clean": dict(self.rows_clean),
            "summary": dict(self.summary),
            "steps": [{**asdict(s), "step": s.step.value} for s in self.steps],
            "ignored": [asdict(i) for i in self.ignored],
        }
