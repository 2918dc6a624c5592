"""The lint pipeline.

discover -> load and merge -> configuration of the stack (nearest .compose-policy.yml,
overrides) -> rules -> suppressions (inline, file, service; CP900 for the unused) ->
de-duplication -> baseline -> sorted findings, each with the fail-on threshold of its stack.
"""

from __future__ import annotations

import gc
import os
from collections import Counter

from compose_policy.config import Config, ConfigResolver
from compose_policy.model import Finding, Severity
from compose_policy.record import Record
from compose_policy.registry import all_rules, match_codes
from compose_policy.rule import Rule, RuleContext
from compose_policy.stack import LoadOptions, Stack, load_target, stack_targets

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

UNUSED_SUPPRESSION = "CP900"
# what the input itself is: a file that cannot be read is never "All clear", whatever the
# selection; only an explicit ignore turns invalid-compose off, nothing turns invalid-yaml off
INPUT_RULES = ("CP000", "CP001")


class LintOptions(Record):
    """What the caller decides; anything left unset comes from the configuration file."""

    _fields = ("select", "ignore", "load", "rule_options", "severities", "data", "config", "find_config",
               "fail_on", "baseline", "suppressions", "python_files")

    def __init__(self, select: Sequence[str] = (), ignore: Sequence[str] = (), load: Optional[LoadOptions] = None,
                 rule_options: Optional[Dict[str, Dict]] = None, severities: Optional[Dict[str, Severity]] = None,
                 data: Optional[Dict] = None, config: Optional[str] = None, find_config: bool = True,
                 fail_on: Optional[Severity] = None, baseline: Optional[str] = None, suppressions: bool = True,
                 python_files: bool = False):
        self.select = select  # replaces the configuration's select
        self.ignore = ignore  # adds to the configuration's ignore
        self.load = LoadOptions() if load is None else load
        # per-rule option overrides and severities, by code (beat the configuration file)
        self.rule_options: Dict[str, Dict] = {} if rule_options is None else rule_options
        self.severities: Dict[str, Severity] = {} if severities is None else severities
        self.data: Dict = {} if data is None else data
        self.config = config  # this configuration file for every stack; no search
        self.find_config = find_config  # else: no configuration file at all
        self.fail_on = fail_on  # beats the configuration's fail-on
        self.baseline = baseline  # hide the findings recorded in this baseline file
        self.suppressions = suppressions  # honour inline, file and service suppressions
        # folder walks also pick up harness-looking Python files (see pydiscover); a .py file
        # named on its own is always linted as Python
        self.python_files = python_files


class StackRun(Record):
    """One stack as linted: the rules that ran on it and what they reported."""

    _fields = ("stack", "codes", "findings", "fail_on", "config")

    def __init__(self, stack: Stack, codes: List[str], findings: List[Finding], fail_on: Severity,
                 config: Optional[str] = None):
        self.stack = stack
        self.codes = codes
        self.findings = findings
        self.fail_on = fail_on
        self.config = config  # the configuration file that applied


class LintResult(Record):
    _fields = ("findings", "stacks", "files", "runs", "suppressed_by", "thresholds", "empty_paths")
    _hidden = ("thresholds",)

    def __init__(self, findings: List[Finding], stacks: List[Stack], files: int,
                 runs: Optional[List[StackRun]] = None, suppressed_by: Optional[Dict[str, int]] = None,
                 thresholds: Optional[Dict[int, Severity]] = None, empty_paths: Optional[List[str]] = None):
        self.findings = findings
        self.stacks = stacks
        self.files = files
        self.runs: List[StackRun] = [] if runs is None else runs
        # inline, file, service, baseline
        self.suppressed_by: Dict[str, int] = {} if suppressed_by is None else suppressed_by
        self.thresholds: Dict[int, Severity] = {} if thresholds is None else thresholds  # id(finding) -> fail-on
        # paths given that held nothing to lint: said so, never reported as "All clear"
        self.empty_paths: List[str] = [] if empty_paths is None else empty_paths

    def counts(self) -> Dict[str, int]:
        out = {str(s): 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        for finding in self.findings:
            out[str(finding.severity)] += 1
        return out

    @property
    def suppressed(self) -> int:
        return sum(self.suppressed_by.values())

    def fails(self, finding: Finding) -> bool:
        """Whether this finding reaches the fail-on severity of its stack."""
        return finding.severity >= self.thresholds.get(id(finding), Severity.WARNING)

    @property
    def exit_code(self) -> int:
        return 1 if any(self.fails(f) for f in self.findings) else 0

    @property
    def rule_codes(self) -> List[str]:
        """Every rule that ran on some stack, in code order."""
        seen = {code for run in self.runs for code in run.codes}
        seen.update(f.rule for f in self.findings)
        return sorted(seen)


# --- profiles: a configuration made concrete ------------------------------------------

class Profile(Record):
    _fields = ("config", "rules", "options", "data", "fail_on")

    def __init__(self, config: Config, rules: Dict[str, Rule], options: Dict[str, Dict[str, Any]],
                 data: Dict[str, Any], fail_on: Severity):
        self.config = config
        self.rules = rules
        self.options = options  # effective options by code, before overrides
        self.data = data
        self.fail_on = fail_on


def _merge_data(*sources: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for source in sources:
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def build_profile(config: Config, options: LintOptions) -> Profile:
    """Rule codes, severities and options: defaults < configuration < caller."""
    classes = all_rules()
    if options.select:
        codes = match_codes(list(options.select))
    elif config.select is not None:
        codes = list(config.select)
    else:
        codes = list(classes)
    ignored = set(config.ignore)
    if options.ignore:
        ignored.update(match_codes(list(options.ignore)))
    codes = [c for c in INPUT_RULES if c in classes and c not in codes] + codes
    ignored.discard(INPUT_RULES[0])
    codes = [c for c in codes if c not in ignored]
    rules = {c: classes[c](options.severities.get(c) or config.severities.get(c)) for c in codes}
    effective = {c: {**classes[c].options, **config.options.get(c, {}), **options.rule_options.get(c, {})}
                 for c in codes}
    return Profile(config, rules, effective, _merge_data(config.data, options.data),
                   options.fail_on or config.fail_on or Severity.WARNING)


def enabled_codes(options: LintOptions) -> List[str]:
    """The codes a run enables before any configuration file."""
    return list(build_profile(Config(), options).rules)


def instantiate(options: LintOptions) -> Dict[str, Rule]:
    return build_profile(Config(), options).rules


# --- one stack ------------------------------------------------------------------------

class StackPlan:
    """The overrides of the configuration that match one stack, and what they change."""

    def __init__(self, profile: Profile, stack: Stack):
        self.profile = profile
        self.overrides = [o for o in profile.config.overrides if o.matches_stack(stack)]
        skipped = set()
        for override in self.overrides:
            if not override.services:
                skipped.update(override.ignore)
        skipped.discard(INPUT_RULES[0])  # a file that cannot be read is reported, whatever the overrides say
        self.codes = [c for c in profile.rules if c not in skipped]
        self._scoped = [o for o in self.overrides if o.services]

    def options_for(self, code: str, service: Optional[str]) -> Dict[str, Any]:
        out = dict(self.profile.options[code])
        for override in self.overrides:
            if code in override.options and override.matches_service(service):
                out.update(override.options[code])
        return out

    def has_service_options(self, code: str) -> bool:
        return any(code in o.options for o in self._scoped)

    def dropped(self, finding: Finding) -> bool:
        if finding.rule == INPUT_RULES[0]:
            return False
        return any(finding.rule in o.ignore and o.matches_service(finding.service) for o in self._scoped)

    def adjust_severity(self, finding: Finding) -> None:
        for override in self.overrides:
            if finding.rule in override.severities and override.matches_service(finding.service):
                finding.severity = override.severities[finding.rule]


def _options_key(options: Dict[str, Any]) -> str:
    import json  # only for service-scoped options: most lints never get here

    return json.dumps(options, sort_keys=True, default=str)


def run_rule(rule: Rule, stack: Stack, plan: StackPlan, data: Dict[str, Any]) -> List[Finding]:
    """The rule's findings, each service checked with the options its overrides give it."""
    code = rule.code
    base = plan.options_for(code, None)
    groups: Dict[str, Any] = {}  # options key -> (options, service names)
    if plan.has_service_options(code):
        for name in stack.services:
            options = plan.options_for(code, name)
            if options != base:
                groups.setdefault(_options_key(options), (options, set()))[1].add(name)
    special = {name for _, names in groups.values() for name in names}
    findings = [f for f in rule.check(stack, RuleContext(options=base, data=data)) if f.service not in special]
    for options, names in groups.values():
        findings.extend(f for f in rule.check(stack, RuleContext(options=options, data=data)) if f.service in names)
    return findings


# the rule that reports each kind of input problem; anything else is invalid compose (CP001)
PROBLEM_RULES = {"yaml": "CP000", "python": "CP500"}


def problem_findings(stack: Stack, rules: Dict[str, Rule]) -> Iterable[Finding]:
    for problem in stack.problems:
        code = PROBLEM_RULES.get(problem.kind, "CP001")
        rule = rules.get(code)
        if rule is not None:
            yield Finding(rule=code, name=rule.name, severity=rule.effective_severity,
                          message=problem.message, pos=problem.pos, recipe=stack.recipe,
                          detail=getattr(problem, "detail", None))


def _unused_findings(suppressions, stack: Stack, plan: StackPlan) -> Iterable[Finding]:
    rule = plan.profile.rules[UNUSED_SUPPRESSION]
    for pos, message, service in suppressions.unused(plan.codes, stack.file_set, never_report=[UNUSED_SUPPRESSION]):
        yield Finding(rule=rule.code, name=rule.name, severity=rule.effective_severity, message=message,
                      pos=pos, recipe=stack.recipe, service=service)


def lint_stack(stack: Stack, profile: Profile, options: LintOptions, suppressed: Counter) -> StackRun:
    plan = StackPlan(profile, stack)
    enabled = {c: profile.rules[c] for c in plan.codes}
    raw = list(problem_findings(stack, enabled))
    kind = getattr(stack, "input", "compose")  # a Stack, or a PythonModule for the CP5xx rules
    if stack.valid:  # rules on half a stack would mislead
        for rule in enabled.values():
            if not rule.reported_by_engine and rule.input == kind:
                raw.extend(run_rule(rule, stack, plan, profile.data))
    suppressions = None
    if options.suppressions:
        from compose_policy.suppress import Suppressions

        suppressions = Suppressions(stack, all_rules())
    kept = _filter(raw, plan, suppressions, suppressed)
    if suppressions is not None and stack.valid and UNUSED_SUPPRESSION in enabled:
        kept.extend(_filter(list(_unused_findings(suppressions, stack, plan)), plan, suppressions, suppressed))
    for finding in kept:
        finding.extra.setdefault("file", _file_key(finding.path, stack))
    return StackRun(stack, plan.codes, kept, profile.fail_on, profile.config.path)


def _filter(findings: List[Finding], plan: StackPlan, suppressions, suppressed: Counter) -> List[Finding]:
    kept = []
    for finding in findings:
        # match even findings an override drops: their suppression is not unused
        how = suppressions.match(finding) if suppressions is not None else None
        if plan.dropped(finding):
            continue
        plan.adjust_severity(finding)
        if how:
            suppressed[how] += 1
        else:
            kept.append(finding)
    return kept


def _file_key(path: str, stack: Stack) -> str:
    """The file of a finding as a baseline keys it: relative to the recipe, else as given."""
    if stack.recipe is None:
        return path
    return os.path.relpath(path, stack.target.root)


# --- loading --------------------------------------------------------------------------

def load_any(target, load: LoadOptions):
    """A Stack for compose targets; a PythonModule (parsed with libcst) for Python files."""
    if target.kind == "python":
        from compose_policy.pyload import load_module

        return load_module(target)
    return load_target(target, load)


# --- many stacks ----------------------------------------------------------------------

# A lint builds hundreds of thousands of small long-lived objects (positioned nodes) and
# frees few: with the default threshold (700) the cyclic collector runs every few
# hundred nodes and rescans the growing heap, which took up to half the time of a
# 1,000-recipe run. Collections are rarer during a lint, not off (the limit is restored).
GC_YOUNG_THRESHOLD = 20_000

# Auto --jobs: a worker process pays off from about this many stacks each (a stack takes
# 2-3 ms, starting a forked worker and collecting its results about 30 ms)
STACKS_PER_JOB = 20


def auto_jobs(stacks: int) -> int:
    """Worker processes for ``stacks`` stacks: 1 for a few (no multiprocessing imported)."""
    if stacks < 2 * STACKS_PER_JOB:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, stacks // STACKS_PER_JOB))


class _TargetLinter:
    """Loads and lints one target at a time, with the profile of its configuration."""

    def __init__(self, options: LintOptions):
        self.options = options
        self.resolver = ConfigResolver(options.config, options.find_config)
        self.profiles: Dict[int, Profile] = {}
        self.detach_paths = None  # set before forking workers: their stacks go back detached

    def __call__(self, target):
        """(StackRun or None, files read, suppression counts) of one target."""
        config = self.resolver.for_folder(target.root)
        profile = self.profiles.get(id(config))
        if profile is None:
            profile = self.profiles[id(config)] = build_profile(config, self.options)
        stack = load_any(target, self.options.load)
        if stack is None:
            return None, 0, None
        suppressed: Counter = Counter()
        run = lint_stack(stack, profile, self.options, suppressed)
        if self.detach_paths is not None:
            from compose_policy.parallel import detach

            run.stack = detach(stack, self.detach_paths)
        return run, len(stack.documents), suppressed


def _outcomes(paths: Sequence[str], options: LintOptions, linter: _TargetLinter, jobs: Optional[int],
              service_paths: Sequence[Any]):
    """(index of the path, outcome of one target) in the order a serial run lints them."""
    if jobs == 1:  # serial: each path is listed when its turn comes, as before --jobs existed
        for index, path in enumerate(paths):
            for target in stack_targets(path, options.load, unreadable=True, python=options.python_files):
                yield index, linter(target)
        return
    work = [(index, target) for index, path in enumerate(paths)
            for target in stack_targets(path, options.load, unreadable=True, python=options.python_files)]
    # harness modules are parsed with libcst, whose trees do not travel: the parent does them
    compose = [i for i, (_, target) in enumerate(work) if target.kind != "python"]
    jobs = auto_jobs(len(compose)) if jobs is None else min(jobs, len(compose))
    outcomes: Dict[int, Any] = {}
    if jobs > 1:
        from compose_policy import parallel

        if parallel.available():
            linter.detach_paths = tuple(service_paths)
            done = parallel.ordered_map(linter, [work[i][1] for i in compose], jobs)
            linter.detach_paths = None
            outcomes = dict(zip(compose, done))
    for position, (index, target) in enumerate(work):
        yield index, outcomes[position] if position in outcomes else linter(target)


def lint_paths(paths: Sequence[str], options: LintOptions,
               on_stack: Optional[Callable[[Stack], None]] = None, jobs: Optional[int] = 1,
               service_paths: Sequence[Any] = ()) -> LintResult:
    """Lint every stack under ``paths``.

    ``jobs``: worker processes (None: as many as pay off, see auto_jobs). With more than one,
    the stacks of the result are detached: no documents or texts, and services reduced to
    the keys at ``service_paths``; findings and everything the reports show are the same.
    """
    budget = None
    if options.baseline:
        from compose_policy.baseline import load_baseline

        budget = load_baseline(options.baseline)
    if options.select or options.ignore:  # a bad code on the command line fails before any work
        match_codes(list(options.select) + list(options.ignore))
    thresholds = gc.get_threshold()
    gc.set_threshold(max(GC_YOUNG_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        return _lint_paths(paths, options, on_stack, jobs, service_paths, budget)
    finally:
        gc.set_threshold(*thresholds)


def _lint_paths(paths, options: LintOptions, on_stack, jobs, service_paths, budget) -> LintResult:
    linter = _TargetLinter(options)
    runs: List[StackRun] = []
    files = 0
    suppressed: Counter = Counter()
    linted = set()
    for index, (run, read, counts) in _outcomes(paths, options, linter, jobs, service_paths):
        if run is None:
            continue
        linted.add(index)
        files += read
        suppressed.update(counts)
        runs.append(run)
        if on_stack is not None:
            on_stack(run.stack)
    empty_paths = [path for index, path in enumerate(paths) if index not in linted]
    thresholds: Dict[int, Severity] = {}
    unique: Dict[Any, Finding] = {}
    for run in runs:
        for finding in run.findings:
            key = (finding.rule, finding.pos, finding.service, finding.message)
            unique.setdefault(key, finding)
            thresholds.setdefault(id(unique[key]), run.fail_on)
    findings = sorted(unique.values(), key=Finding.sort_key)
    if budget is not None:
        from compose_policy.baseline import apply_baseline

        findings, hidden = apply_baseline(findings, budget)
        if hidden:
            suppressed["baseline"] += hidden
    shown = {id(f) for f in findings}
    for run in runs:  # per-stack lists for per-stack reports (junit): the same findings, once
        run.findings = [f for f in run.findings if id(f) in shown]
        shown.difference_update(id(f) for f in run.findings)
    kept_ids = {id(f) for f in findings}
    stacks = [r.stack for r in runs if getattr(r.stack, "input", "compose") == "compose"]
    return LintResult(findings, stacks, files, runs, dict(suppressed),
                      {k: v for k, v in thresholds.items() if k in kept_ids}, empty_paths)
