"""A schedule linter: rules over the recorded Curves and the spec, each one small function
(:mod:`.context`: what a rule is written with; :mod:`.rules`: the rules over the curves drawn;
:mod:`.resumed`: a schedule resumed by ``last_epoch`` against the same schedule run from update 0),
and running them over specs into a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..facts import facts_of, overrun
from ..imports import AllowImport, allowed_imports
from ..spec import ResolvedSchedule
from .context import RULES, TOLERANCE, Context, Finding, Rule, own_advice, rule
from .rules import NO_ANNEAL_FRACTION  # importing the rules registers them, in their order
from .resumed import RESUME_TOLERANCE

__all__ = ["NO_ANNEAL_FRACTION", "RESUME_TOLERANCE", "RULES", "TOLERANCE", "CheckReport", "Context", "Finding", "Rule",
           "check_files", "check_rule_ids", "check_schedule", "failing", "invalid_spec", "rule"]


# --- running the rules ---------------------------------------------------------------------------

def check_schedule(schedule: ResolvedSchedule, ignore: Iterable[str] = (), *,
                   allow_import: AllowImport = None) -> list[Finding]:
    """Simulate ``schedule`` and run every rule not in ``ignore``."""
    from ..engine import run_schedule

    ignored = set(ignore)
    for sched in schedule.schedulers:
        over = overrun(schedule, sched, schedule.steps) if schedule.steps is not None else None
        if over is not None:
            used, limit = over
            if "short-schedule" in ignored:
                return []
            loc = str(schedule.spec.locate(schedule.where("steps")))
            return [Finding("short-schedule", "error", schedule.name, None, None, None, (float(used), float(limit)),
                            f"'{schedule.name}': steps {schedule.steps} needs {used} {sched.type} steps but "
                            f"total_steps is {limit}; torch raises at step {limit + 1}"
                            + own_advice(schedule, sched.path + facts_of(sched).horizon[:1], used), loc)]
    allowance = allowed_imports(allow_import)
    curves = run_schedule(schedule, allow_import=allowance)
    ctx = Context(schedule, curves, allowance)
    findings: list[Finding] = []
    for r in RULES.values():
        if r.id not in ignored:
            findings.extend(r.fn(ctx))
    return findings


INVALID_SPEC = "invalid-spec"  # a spec (or one of its schedules) that cannot be loaded or simulated


def invalid_spec(exc: Any, name: str) -> Finding:
    """A located SpecError as an error-level finding, so that one bad spec does not hide the others."""
    message = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
    return Finding(INVALID_SPEC, "error", name, None, None, None, (), message,
                   str(exc.location) if exc.location is not None else None)


@dataclass
class CheckReport:
    """What ``lrplot check`` found in every spec it was given."""

    specs: list[dict[str, Any]]  # {"path", "valid"} per spec file, in the order given
    schedules: list[str]
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    def failing(self, strict: bool = False) -> bool:
        """Exit 1: an error-level finding, or any finding with ``strict``."""
        return failing(self.findings, strict)

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings], "errors": self.errors,
                "warnings": self.warnings, "schedules": self.schedules, "specs": self.specs}

    def lines(self) -> list[str]:
        """The text report: one line per finding, then the count."""
        invalid = sum(not s["valid"] for s in self.specs)
        total = (f"{len(self.schedules)} schedule(s) checked: {self.errors} error(s), {self.warnings} warning(s)"
                 + (f"; {invalid} of {len(self.specs)} spec(s) invalid" if invalid else ""))
        return [f.text() for f in self.findings] + [total]


def check_files(paths: Iterable[Any], ignore: Iterable[str] = (), allow: Any = None, *,
                load: Callable[[Any], Any]) -> CheckReport:
    """Check every spec of ``paths``, each read by ``load(path) -> Spec``. A spec that cannot be
    loaded, or a schedule that cannot be built or simulated, is an ``invalid-spec`` finding at its
    location; the other specs and schedules are checked all the same. Command-line mistakes
    (UsageError) still raise."""
    from ..errors import SpecError, warnings_named

    report = CheckReport([], [], [])
    for path in paths:
        try:
            spec = load(path)
        except SpecError as exc:
            report.specs.append({"path": str(path), "valid": False})
            report.findings.append(invalid_spec(exc, str(path)))
            continue
        valid = True
        for schedule in spec.schedule_list():
            report.schedules.append(schedule.name)
            try:
                with warnings_named(path):  # the framework's warnings, named by the file they are about
                    report.findings.extend(check_schedule(schedule, ignore, allow_import=allow))
            except SpecError as exc:
                valid = False
                report.findings.append(invalid_spec(exc, schedule.name))
        report.specs.append({"path": str(path), "valid": valid})
    return report


def check_rule_ids(rule_ids: Iterable[str]) -> None:
    """Refuse an unknown rule id (``--ignore``) with a did-you-mean."""
    from ..errors import UsageError
    from ..text import did_you_mean

    for rule_id in rule_ids:
        if rule_id not in RULES:
            raise UsageError(f"--ignore {rule_id}: unknown rule",
                             hint=did_you_mean(rule_id, RULES) or f"rules: {', '.join(RULES)}")


def failing(findings: Iterable[Finding], strict: bool = False) -> bool:
    return any(f.level == "error" or strict for f in findings)
