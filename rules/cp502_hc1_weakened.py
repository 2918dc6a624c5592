from compose_policy.model import Severity
from compose_policy.pyrule import PythonRule
from compose_policy.rules.cp501_upgrade_without_convergence_guard import COMMIT_CHECKS

HC1_CALLS = COMMIT_CHECKS + ["compose_policy.harness.verify_upgrade"]


class Hc1Weakened(PythonRule):
    """The deployed-commit check (HC1) of a harness is there but cannot fail.

    ## What it does
    Finds the checks of the deployed commit in a Python harness (`assert_deployed_commit`,
    `check_deployed_commit`, `verify_upgrade`, an `assert` comparing a deployed value to an
    expected one) and reports each way of pulling their teeth:

    - inside a `try` whose `except` catches AssertionError (or Exception, or everything)
      and does not raise again (`contextlib.suppress(AssertionError)` too);
    - a failed check that only logs or warns: an `if` on the check's result (or on a
      deployed/expected comparison) whose branch logs, warns or prints and never raises;
    - `deployed in expected` or `expected.startswith(deployed)`: the wrong way round, so
      an empty or truncated deployed label passes;
    - inside an `if` that reads an environment variable, so the check runs only when a
      flag is set (or is skipped when one is);
    - in a test marked `skip`, `skipif` or `xfail`, or after a `pytest.skip`/`xfail` call
      in the same function.

    ## Why is this bad
    HC1 is what proves that the commit under test is what swarm runs: after a rollback
    swarm restores the previous spec, labels included, so only a check that fails the CI
    when the `chaos-version` label is not the expected commit catches it. A check that
    cannot fail looks like a safety net in review and catches nothing.

    ## Example
    ```python
    try:
        assert_deployed_commit(client, STACK, head_sha)
    except AssertionError as error:
        log.warning("commit mismatch: %s", error)
    ```

    ## Use instead
    ```python
    assert_deployed_commit(client, STACK, head_sha, before=before)
    ```

    ## Fix
    Not fixable automatically: whether the log line, flag or marker is still needed is
    the author's call.

    ## See also
    - Docker: [service labels and rollback](https://docs.docker.com/reference/cli/docker/service/rollback/):
      a rollback restores the previous spec, labels included.
    - [The harness](../harness.md): `assert_deployed_commit` and the `chaos-version` label.
    """

    code = "CP502"
    name = "hc1-weakened"
    severity = Severity.ERROR
    options = {"commit-checks": HC1_CALLS}
    option_help = {"commit-checks": "Functions that check the deployed commit (HC1)."}

    def check_module(self, module, ctx):
        from compose_policy.rules._hc1 import weakened_checks

        def where(node):
            pos = module.position(node)
            return (pos.line, pos.column)

        for node, message in weakened_checks(module.tree, ctx.options.get("commit-checks", HC1_CALLS), where):
            yield self.finding_at(module, node, message)
