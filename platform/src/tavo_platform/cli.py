"""The `tavo` command line: scan, rules (and, as the platform grows, serve, keys, worker)."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup

from tavo_platform import __version__
from tavo_platform.engine import (
    DEFAULT_MAX_FILE_BYTES,
    BaselineError,
    ScanResult,
    ScanRootError,
    Severity,
    WalkOptions,
    read_baseline,
    scan_path,
    write_baseline,
)
from tavo_platform.formats import RENDERERS
from tavo_platform.rules.catalog import redaction_rules_for
from tavo_platform.rules.loader import RuleSet, load_builtin_rules, load_rules
from tavo_platform.rules.model import Rule

if TYPE_CHECKING:
    from rich.progress import Progress

# `tavo scan` imports only what a scan needs: the progress bar, baseline refs, rule tests,
# other output formats and "did you mean" are imported where they are used.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PROGRESS_MIN_FILES = 50


def _closest(name: str, choices: list[str]) -> str | None:
    """The one choice most like `name` (difflib's similarity, at least 0.6), if any."""
    import difflib

    scored = [(difflib.SequenceMatcher(None, name, choice).ratio(), choice) for choice in choices]
    ratio, best = max(scored, default=(0.0, ""))
    return best if ratio >= 0.6 else None


class _LazyPlatformCommands(TyperGroup):
    """`serve`, `worker`, `cluster`, `keys` and `db` need the web server, database and queue
    stacks, seconds of imports; they are loaded only when one of them runs (or help lists
    them), so `tavo scan` and `tavo rules` start fast."""

    LAZY = ("serve", "worker", "cluster", "keys", "users", "db", "secrets", "remote")

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.LAZY if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            self._load_platform_commands()
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # An unknown name: load every command first, so "did you mean" can offer any of
        # them (`tavo serv` -> serve), not only those already loaded; and offer only the
        # closest (click offers every name above its cutoff: `serv` -> serve, users).
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            self._load_platform_commands()
            best = _closest(args[0], self.list_commands(ctx))
            if args[0] not in self.commands and best:
                ctx.fail(f"No such command {args[0]!r}. Did you mean {best!r}?")
        return super().resolve_command(ctx, args)

    def _load_platform_commands(self) -> None:
        if all(name in self.commands for name in self.LAZY):
            return
        for name, command in _platform_commands().items():
            self.add_command(command, name)


def _platform_commands() -> dict[str, Any]:
    from tavo_platform.platform_cli import cluster, db_app, keys_app, serve, users_app, worker
    from tavo_platform.remote.cli import remote_app
    from tavo_platform.secrets_cli import secrets_app

    platform = typer.Typer(rich_markup_mode=None)
    platform.command()(serve)
    platform.command()(worker)
    platform.command()(cluster)
    platform.add_typer(keys_app, name="keys")
    platform.add_typer(db_app, name="db")
    platform.add_typer(users_app, name="users")
    platform.add_typer(secrets_app, name="secrets")
    platform.add_typer(remote_app, name="remote")
    return dict(typer.main.get_group(platform).commands)


app = typer.Typer(
    cls=_LazyPlatformCommands,
    name="tavo",
    help="Tavo: find security problems in code that uses LLMs and ML models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: flags without a <bool> value, value names as written here.
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="List and test rules.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules")

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"
    never = "never"


RulesOption = Annotated[
    list[Path] | None,
    typer.Option("--rules", metavar="PATH", help="Extra rule file or directory (repeatable)."),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only", metavar="RULE", help="Run only these rule ids or packs (globs, repeatable)."
    ),
]
SkipOption = Annotated[
    list[str] | None,
    typer.Option(
        "--skip", metavar="RULE", help="Skip these rule ids or packs (globs, repeatable)."
    ),
]


def _fail(message: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(EXIT_USAGE)


def _gather_rules(
    extra: list[Path] | None,
    only: list[str] | None,
    skip: list[str] | None,
    builtin: bool = True,
    every_error: bool = False,
) -> tuple[RuleSet, RuleSet]:
    """(the selected rules, every rule loaded). Errors are those of selected rules (so a
    broken rule can be set aside with --skip), or every error with `every_error`."""
    rules = load_builtin_rules() if builtin else RuleSet()
    for path in extra or []:
        rules.extend(load_rules(path))
    for selector in skip or []:
        if not _names_a_rule(selector, rules):
            _warn(f"--skip {selector!r} matches no rule id or pack")
    selected = rules.select(only or [], skip or [])
    if every_error:
        selected = RuleSet(selected.rules, rules.errors)
    for error in selected.errors:
        stderr.print(f"[bold yellow]rule error:[/] {error}", markup=True, highlight=False)
    return selected, rules


def _names_a_rule(selector: str, rules: RuleSet) -> bool:
    return any(
        fnmatch.fnmatchcase(name, selector) for rule in rules.rules for name in (rule.id, rule.pack)
    )


def _warn(message: str) -> None:
    stderr.print(f"[bold yellow]warning:[/] {message}", markup=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tavo {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Tavo: find security problems in code that uses LLMs and ML models."""


# `tavo scan`'s options, declared once here so the command reads as its steps.
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file."),
]
FailOnOption = Annotated[
    FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", "-e", metavar="GLOB", help="Gitignore-style glob to skip (repeatable)."
    ),
]
MaxFileSizeOption = Annotated[
    int,
    typer.Option(min=1, metavar="BYTES", help="Skip source files larger than this many bytes."),
]
NoGitignoreOption = Annotated[
    bool, typer.Option("--no-gitignore", help="Do not honour .gitignore files.")
]
NoDefaultExcludesOption = Annotated[
    bool,
    typer.Option(
        "--no-default-excludes", help="Also scan node_modules, virtualenvs, minified bundles…"
    ),
]
IncludeVendoredOption = Annotated[
    bool,
    typer.Option(
        "--include-vendored",
        help="Also scan vendored third-party code (third_party/, _vendor/, JS under vendor/, "
        "jquery.js and other libraries copied into static/).",
    ),
]
BaselineOption = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="Report only findings not in this baseline file."),
]
BaselineRefOption = Annotated[
    str | None,
    typer.Option(
        "--baseline-ref",
        metavar="REF",
        help="Report only findings not present at this git ref (e.g. origin/main).",
    ),
]
WriteBaselineOption = Annotated[
    Path | None,
    typer.Option(
        "--write-baseline", metavar="FILE", help="Write every current finding to a baseline file."
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, metavar="N", show_default="one per core",
                 help="Worker processes."),
]
NoProgressOption = Annotated[bool, typer.Option("--no-progress", help="Never show a progress bar.")]


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="File or directory to scan.")],
    output_format: FormatOption = OutputFormat.text,
    output: OutputOption = None,
    fail_on: FailOnOption = FailOn.low,
    exclude: ExcludeOption = None,
    max_file_size: MaxFileSizeOption = DEFAULT_MAX_FILE_BYTES,
    no_gitignore: NoGitignoreOption = False,
    no_default_excludes: NoDefaultExcludesOption = False,
    include_vendored: IncludeVendoredOption = False,
    rules_paths: RulesOption = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
    baseline: BaselineOption = None,
    baseline_ref: BaselineRefOption = None,
    write_baseline_to: WriteBaselineOption = None,
    jobs: JobsOption = None,
    no_progress: NoProgressOption = False,
) -> None:
    """Scan a file or directory and report findings.

    A finding can be silenced where it is: `# tavo: ignore[rule-id]` (or `// …` in JS/TS)
    on its line or alone on the line above; a bare `# tavo: ignore` silences every rule there.
    """
    rules, every_rule = _gather_rules(rules_paths, only, skip)
    if not rules.rules:
        raise _fail("no rules selected (check --only/--skip/--rules)")
    walk_options = WalkOptions(
        excludes=tuple(exclude or ()),
        max_file_bytes=max_file_size,
        use_gitignore=not no_gitignore,
        default_excludes=not no_default_excludes,
        include_vendored=include_vendored,
    )
    known = _known_findings(path, baseline, baseline_ref, rules.rules, walk_options, jobs)
    result = _scan_with_progress(path, rules.rules, walk_options, jobs, known, not no_progress)
    _warn_missed_ignores(result.missed_ignores, every_rule)
    if write_baseline_to is not None:
        try:
            write_baseline(write_baseline_to, result.findings)
        except BaselineError as error:
            raise _fail(str(error)) from None
        stderr.print(f"wrote {len(result.findings)} finding(s) to baseline {write_baseline_to}")
    _write_report(result, output_format, output)
    if rules.errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(_exit_code(result.findings, fail_on))


def _known_findings(
    path: Path,
    baseline: Path | None,
    baseline_ref: str | None,
    rules: list[Rule],
    walk_options: WalkOptions,
    jobs: int | None,
) -> frozenset[str]:
    """Fingerprints of findings not to report: a baseline file's, and those at a git ref."""
    known: frozenset[str] = frozenset()
    if baseline is not None:
        try:
            known = read_baseline(baseline)
        except BaselineError as error:
            raise _fail(str(error)) from None
    if baseline_ref is not None:
        from tavo_platform.findings.baseline_ref import BaselineRefError, fingerprints_at_ref

        try:
            known |= fingerprints_at_ref(path, baseline_ref, rules, walk_options, jobs)
        except BaselineRefError as error:
            raise _fail(f"--baseline-ref {baseline_ref}: {error}") from None
    return known


def _scan_with_progress(
    path: Path,
    rules: list[Rule],
    walk_options: WalkOptions,
    jobs: int | None,
    known: frozenset[str],
    progress_wanted: bool,
) -> ScanResult:
    progress = _progress_bar() if progress_wanted and sys.stderr.isatty() else None
    tracker: dict[str, int] = {}

    def on_total(total: int) -> None:
        if progress is not None and total >= PROGRESS_MIN_FILES:
            tracker["task"] = progress.add_task("scanning", total=total)

    def on_progress(done: int) -> None:
        if progress is not None and "task" in tracker:
            progress.advance(tracker["task"], done)  # type: ignore[arg-type]

    try:
        with progress if progress is not None else nullcontext():
            return scan_path(
                path, rules, walk_options, jobs=jobs, baseline=known,
                redaction_rules=redaction_rules_for(rules),
                on_total=on_total, on_progress=on_progress,
            )
    except ScanRootError as error:
        raise _fail(str(error)) from None


def _write_report(result: ScanResult, output_format: OutputFormat, output: Path | None) -> None:
    colour = output is None and output_format is OutputFormat.text and sys.stdout.isatty()
    report = RENDERERS[output_format.value](result, colour)
    if output is None:
        sys.stdout.write(report)
        return
    try:
        output.write_text(report, encoding="utf-8")
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror}") from None


def _warn_missed_ignores(
    missed: list[tuple[str, int, tuple[str, ...]]], every_rule: RuleSet
) -> None:
    """An ignore comment on a reported finding's line that names no rule at all is almost
    surely a typo: say so, rather than leave the user wondering why it did not work."""
    for path, line, selectors in missed:
        for selector in selectors:
            if not _names_a_rule(selector, every_rule):
                _warn(f"{path}:{line}: `tavo: ignore[{selector}]`: {selector!r} names no rule "
                      "id or pack; the finding on this line is still reported")


def ci_base_ref(environment: dict[str, str]) -> str:
    """The ref a pull request merges into, as CI systems name it: GitHub Actions
    (GITHUB_BASE_REF), GitLab (CI_MERGE_REQUEST_TARGET_BRANCH_NAME), Bitbucket
    (BITBUCKET_PR_DESTINATION_BRANCH), else origin/main."""
    for variable in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                     "BITBUCKET_PR_DESTINATION_BRANCH"):
        branch = environment.get(variable, "").strip()
        if branch:
            return f"origin/{branch}"
    return "origin/main"


@app.command()
def ci(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Directory to scan (default: here).")
    ] = Path("."),
    base_ref: Annotated[
        str | None,
        typer.Option("--base-ref", metavar="REF", show_default="the CI's target branch, "
                     "else origin/main", help="Report only findings not present at this ref."),
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a new finding is at or above this severity.")
    ] = FailOn.high,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report to this file."),
    ] = None,
) -> None:
    """A pull request's check: scan PATH, report only the findings it introduces relative
    to the base ref, and fail only on those at or above --fail-on (default high)."""
    scan(
        path,
        output_format=output_format,
        output=output,
        fail_on=fail_on,
        baseline_ref=base_ref or ci_base_ref(dict(os.environ)),
        no_progress=True,
    )


def _exit_code(findings: list, fail_on: FailOn) -> int:  # type: ignore[type-arg]
    if fail_on is FailOn.never:
        return EXIT_OK
    threshold = Severity.parse(fail_on.value)
    return EXIT_FINDINGS if any(f.severity.at_least(threshold) for f in findings) else EXIT_OK


def _progress_bar() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


@rules_app.command("list")
def rules_list(
    rules_paths: RulesOption = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List the available rules (built-in packs plus --rules); exits 2 if a rule file
    is broken, even when --only/--skip leave its rules out."""
    rules, _ = _gather_rules(rules_paths, only, skip, every_error=True)
    if as_json:
        payload = [
            rule.model_dump(mode="json", exclude={"examples", "structural", "regex", "artifact"})
            | {"matcher": rule.matcher_kind}
            for rule in rules.rules
        ]
        typer.echo(json.dumps(payload, indent=2))
    else:
        for rule in sorted(rules.rules, key=lambda r: (r.pack, r.id)):
            tags = " ".join(t for t in (rule.owasp_llm, *rule.cwe) if t)
            typer.echo(
                f"{rule.pack:<16} {rule.id:<48} {rule.severity.value:<8} "
                f"{','.join(lang.value for lang in rule.languages):<28} {tags}"
            )
        typer.echo(f"{len(rules.rules)} rule(s)")
    if rules.errors:
        raise typer.Exit(EXIT_USAGE)


@rules_app.command("test")
def rules_test(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...", help="Rule files or directories to test (default: built-in packs)."
        ),
    ] = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
) -> None:
    """Run every rule against its own positive and negative examples."""
    from tavo_platform.rules.lint import rule_warnings
    from tavo_platform.rules.testing import test_rules

    rules, _ = _gather_rules(paths, only, skip, builtin=not paths)
    results = test_rules(rules.rules)
    failures = [r for r in results if not r.passed]
    for failure in failures:
        typer.echo(f"FAIL {failure.describe()}")
    for rule in rules.rules:
        for warning in rule_warnings(rule):
            typer.echo(f"warning: {warning}")
    typer.echo(
        f"{len(results) - len(failures)} passed, {len(failures)} failed "
        f"({len(rules.rules)} rule(s))"
    )
    if failures or rules.errors or not rules.rules:
        raise typer.Exit(EXIT_FINDINGS if failures else EXIT_USAGE)


def main() -> None:
    app()

