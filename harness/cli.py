"""``compose-policy harness``: the upgrade guard for shell-based CI.

    compose-policy harness snapshot --stack S --output pre.json
    (abra app deploy --chaos ... / docker stack deploy ...)
    compose-policy harness verify-upgrade --stack S --since pre.json --expect "$SHA"

Exit codes: 0 passed, 1 the verdict failed, 2 could not check (daemon
unreachable, not a manager, stack missing, unreadable snapshot, bad options).
Never 0 when nothing was checked.
"""

from __future__ import annotations

import json
import math
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import click

from .client import HarnessUnavailable

EXIT_PASS, EXIT_FAIL, EXIT_UNAVAILABLE = 0, 1, 2


class _OneLineErrors:
    """Usage errors as one ``Error: ...`` line (exit 2) instead of usage + traceback-like noise."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        given = list(args)  # click's parser consumes args
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.UsageError as exc:
            if exc.ctx is None:
                raise
            where = exc.ctx.command_path
            if _wants_json(given):  # a CI parsing stdout gets the same record as for any failure to check
                click.echo(json.dumps({"passed": False, "checked": False,
                                       "error": f"{where}: {exc.format_message()}"}))
            error = click.UsageError(f"{where}: {exc.format_message()}")
            error.exit_code = EXIT_UNAVAILABLE
            raise error from None


def _wants_json(args: list[str]) -> bool:
    return any(a == "--format=json" or (a == "--format" and b == "json") for a, b in zip(args, list(args[1:]) + [""]))


class HarnessCommand(_OneLineErrors, click.Command):
    pass


class HarnessGroup(_OneLineErrors, click.Group):
    command_class = HarnessCommand

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if _wants_json(list(args)):
                click.echo(json.dumps({"passed": False, "checked": False,
                                       "error": f"{ctx.command_path}: {exc.format_message()}"}))
            error = click.UsageError(f"{ctx.command_path}: {exc.format_message()}")
            raise error from None


def _stack_option(f: Callable) -> Callable:
    return click.option("--stack", "-s", required=True, metavar="NAME", help="Stack name (as given to docker stack deploy; abra's STACK_NAME).")(f)


def _host_option(f: Callable) -> Callable:
    return click.option(
        "--host",
        "-H",
        metavar="URL",
        default=None,
        help="Daemon of a swarm manager (unix://, tcp://, ssh://user@host). Default: DOCKER_HOST, then the current docker context.",
    )(f)


def _format_option(f: Callable) -> Callable:
    return click.option(
        "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Verdict output."
    )(f)


def _since_option(required: bool) -> Callable:
    return click.option(
        "--since",
        "since",
        required=required,
        type=click.Path(dir_okay=False),
        metavar="SNAPSHOT.json",
        help="The snapshot written by `harness snapshot` before the deploy.",
    )


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """nan passes every range check and inf (or 1e400) never ends a wait: both are usage errors."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value!r} is not a finite number of seconds")
    return value


def _timeout_option(f: Callable) -> Callable:
    f = click.option(
        "--poll-interval",
        type=click.FloatRange(0.05, 5.0),
        default=0.5,
        show_default=True,
        callback=_finite,
        help="Seconds between inspections when no event arrives.",
    )(f)
    f = click.option(
        "--min-stability",
        type=click.FloatRange(0.0),
        default=10.0,
        show_default=True,
        callback=_finite,
        help="Shortest stability window: seconds every service must stay healthy, all tasks running, "
        "before it passes (monitor, delay and the healthcheck can make it longer).",
    )(f)
    return _api_timeout_option(900.0, "Seconds to wait for a verdict; also bounds every call to the daemon.")(f)


def _api_timeout_option(default: float, help_text: str) -> Callable:
    return click.option(
        "--timeout", type=click.FloatRange(0.0, min_open=True), default=default, show_default=True, callback=_finite, help=help_text
    )


def _expect_option(f: Callable) -> Callable:
    f = click.option("--allow-dirty", is_flag=True, help="Accept a stamp with +U (deployed from a dirty work tree).")(f)
    f = click.option("--service", default="app", show_default=True, help="Service carrying the chaos-version label.")(f)
    return click.option(
        "--expect", "expected", required=True, metavar="SHA", callback=_check_sha, help="Commit under test (full or short SHA)."
    )(f)


def _check_sha(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .hc1 import normalise_expected

    try:
        return normalise_expected(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
def harness() -> None:
    """Prove on a live swarm that an upgrade converged and deployed the right commit.

    Exit codes: 0 passed, 1 failed (rolled back, paused, stuck, unstable, wrong
    commit), 2 could not check.
    """


@harness.command()
@_stack_option
@click.option("--output", "-o", default="-", type=click.Path(dir_okay=False, allow_dash=True), show_default=True, help="Where to write the snapshot JSON.")
@_host_option
@_api_timeout_option(60.0, "Seconds any call to the daemon may take.")
def snapshot(stack: str, output: str, host: str | None, timeout: float) -> None:
    """Phase 0: record the stack's services before the redeploy."""
    from .snapshot import snapshot_stack

    with _could_not_check("text"):
        client = _connect(host, timeout)
        snap = snapshot_stack(client, stack)
        if output == "-":
            click.echo(snap.to_json(), nl=False)
        else:
            try:
                snap.save(output)
            except OSError as exc:
                raise HarnessUnavailable(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"snapshot of stack {stack}: {len(snap.services)} service(s)" + ("" if output == "-" else f" -> {output}"), err=True)
    for warning in snap.warnings:
        click.echo(f"warning: {warning}", err=True)


@harness.command()
@_stack_option
@_since_option(required=True)
@_timeout_option
@_host_option
@_format_option
def converge(stack: str, since: str, timeout: float, poll_interval: float, min_stability: float, host: str | None, output_format: str) -> None:
    """Phases 1-2: wait until every service converged, or say why not."""
    from .converge import check_upgrade
    from .snapshot import Snapshot

    with _could_not_check(output_format):
        before = Snapshot.load(since)
        client = _connect(host, timeout)
        with _progress(output_format, stack) as progress:
            verdict = check_upgrade(
                client, stack, before, timeout, poll_interval=poll_interval, min_stability=min_stability, on_progress=progress
            )
    _finish(verdict, output_format)


@harness.command()
@_stack_option
@_expect_option
@_since_option(required=False)
@_host_option
@_format_option
@_api_timeout_option(60.0, "Seconds any call to the daemon may take.")
def hc1(
    stack: str, expected: str, service: str, allow_dirty: bool, since: str | None, host: str | None, output_format: str, timeout: float
) -> None:
    """HC1: the live chaos-version stamp names the expected commit."""
    from .hc1 import check_deployed_commit
    from .snapshot import Snapshot
    from .verdict import Verdict

    with _could_not_check(output_format):
        before = Snapshot.load(since) if since else None
        client = _connect(host, timeout)
        check = check_deployed_commit(client, stack, expected, service, allow_dirty=allow_dirty, before=before)
    _finish(Verdict(stack=stack, commit=check), output_format)


@harness.command("verify-upgrade")
@_stack_option
@_since_option(required=True)
@_expect_option
@_timeout_option
@_host_option
@_format_option
def verify_upgrade(
    stack: str,
    since: str,
    expected: str,
    service: str,
    allow_dirty: bool,
    timeout: float,
    poll_interval: float,
    min_stability: float,
    host: str | None,
    output_format: str,
) -> None:
    """Converge, then HC1; passes only when both pass."""
    from .snapshot import Snapshot
    from .verify import check_verified_upgrade

    with _could_not_check(output_format):
        before = Snapshot.load(since)
        client = _connect(host, timeout)
        with _progress(output_format, stack) as progress:
            verdict = check_verified_upgrade(
                client,
                stack,
                before,
                expected,
                timeout,
                service=service,
                allow_dirty=allow_dirty,
                poll_interval=poll_interval,
                min_stability=min_stability,
                on_progress=progress,
            )
    _finish(verdict, output_format)


# --- plumbing -------------------------------------------------------------------


def _connect(host: str | None, timeout: float) -> Any:
    """A client whose every call gives up after ``timeout`` (at most the SDK's usual 60 s)."""
    from .client import DEFAULT_API_TIMEOUT, connect

    return connect(host, timeout=min(DEFAULT_API_TIMEOUT, timeout))


@contextmanager
def _could_not_check(output_format: str) -> Iterator[None]:
    """HarnessUnavailable -> one line on stderr (and a JSON record), exit 2."""
    try:
        yield
    except HarnessUnavailable as exc:
        message = " ".join(str(exc).split())
        if output_format == "json":
            click.echo(json.dumps({"passed": False, "checked": False, "error": message}))
        click.echo(f"could not check: {message}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    except KeyboardInterrupt:
        click.echo("could not check: interrupted", err=True)
        sys.exit(EXIT_UNAVAILABLE)


def _finish(verdict: Any, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(verdict.to_dict(), indent=2))
    else:
        click.echo(verdict.render())
    sys.exit(EXIT_PASS if verdict.passed else EXIT_FAIL)


@contextmanager
def _progress(output_format: str, stack: str) -> Iterator[Callable[[dict], None] | None]:
    """A live status line on a terminal only; CI logs get the verdict alone."""
    if output_format != "text" or not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
    except ImportError:  # the harness extra is not installed: no live status line
        yield None
        return

    console = Console(stderr=True)
    with console.status(f"waiting for stack {stack}") as status:

        def update(states: dict) -> None:
            status.update(f"stack {stack}: " + ", ".join(f"{name.removeprefix(stack + '_')} {state}" for name, state in sorted(states.items())))

        yield update
