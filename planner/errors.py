"""Error types. Every user-facing failure is a PlannerError subclass with an exit code.

InputError and ConfigError (exit 2) carry a list of problems, reported together.
InfeasibleError and SolverError (exit 3) say why and which constraint family is responsible.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: where it is, what is wrong, how to fix it."""

    file: str
    message: str
    fix: str = ""
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()

    def render(self) -> str:
        where = self.file
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" (+{len(self.rows) - 10} more)" if len(self.rows) > 10 else ""
            label = "row" if len(self.rows) == 1 else "rows"
            where += f", {label} {shown}{more}"
        text = f"{where}: {self.message}"
        if self.values:
            shown_v = ", ".join(repr(v) for v in self.values[:5])
            more_v = f" (+{len(self.values) - 5} more)" if len(self.values) > 5 else ""
            text += f" [values: {shown_v}{more_v}]"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class PlannerError(Exception):
    """Base class of every error planner reports to its user."""

    exit_code = 1


@dataclass
class _ProblemList:
    problems: list[Problem] = field(default_factory=list)


class InputError(PlannerError):
    """Bad dataset: all problems collected and reported together (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str, *, title: str = "invalid input"):
        if isinstance(problems, str):
            problems = [Problem(file="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.title = title
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.title}: {n} problem{'s' if n != 1 else ''} found"
        lines = [head]
        for p in self.problems:
            lines.append("  - " + p.render().replace("\n", "\n  "))
        return "\n".join(lines)


class ConfigError(InputError):
    """Bad scenario file, option or command-line usage (exit code 2)."""

    def __init__(self, problems: list[Problem] | Problem | str, *, title: str = "invalid scenario"):
        super().__init__(problems, title=title)


class InfeasibleError(PlannerError):
    """The model has no feasible plan (exit code 3). `families` names the constraint families."""

    exit_code = 3

    def __init__(self, message: str, families: tuple[str, ...] = ()):
        self.families = tuple(families)
        super().__init__(message)


class SolverError(PlannerError):
    """The solver failed, was unbounded, or hit its time limit without a plan (exit code 3)."""

    exit_code = 3
