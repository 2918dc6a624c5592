from compose_policy.model import Applicability, Fix, Severity
from compose_policy.pyrule import PythonRule
from compose_policy.rules._redeploy_options import REDEPLOY_OPTION_HELP, REDEPLOY_OPTIONS

# the names this rule and CP502 look for, with their defaults (see the Options section)
GUARDS = ["assert_upgrade_converged", "compose_policy.harness.verify_upgrade"]
# context managers that check convergence (and HC1) when their block ends: the pytest plugin's
GUARD_CONTEXTS = ["upgrade_guard", "compose_policy.harness.pytest_plugin.UpgradeGuard"]
COMMIT_CHECKS = ["assert_deployed_commit", "check_deployed_commit"]
GUARD_CALL = "assert_upgrade_converged(client, stack, before)"
GUARD_IMPORT = "from compose_policy.harness import assert_upgrade_converged"


class UpgradeWithoutConvergenceGuard(PythonRule):
    """A harness redeploys for an upgrade, then checks the commit or returns without the convergence guard.

    ## What it does
    In a Python harness (a CI test or script), follows every path from an upgrade redeploy
    (`chaos_redeploy(...)`, `deploy_app(..., upgrade=True)` or `chaos=True`,
    `abra app deploy --chaos` or `docker stack deploy` run as a command) to the next check
    of the deployed commit (`assert_deployed_commit`, `check_deployed_commit`, an
    `assert` comparing a deployed value to an expected one) or to where the function
    returns or ends. It reports the redeploy when some path reaches that point without
    calling the convergence guard (`assert_upgrade_converged`, or `verify_upgrade` which
    includes it), or leaving the `with` block of a guard context (the pytest plugin's
    `with upgrade_guard(...):`). A guard inside a `try` whose `except` swallows its
    AssertionError does not count.

    ## Why is this bad
    `docker stack deploy` returns as soon as swarm accepted the new spec: the update then
    runs, and may pause or roll back, minutes later. A harness that checks the deployed
    commit right after the redeploy reads the new `chaos-version` label before swarm
    restores the old one, or returns success while the update is still running, and the
    CI reports a green upgrade that swarm rolled back. Only waiting for the update to
    converge (no rollback, no pause, every task running the new spec) gives the commit
    check its meaning.

    ## Example
    ```python
    def test_upgrade(client, app, head_sha):
        chaos_redeploy(app)
        assert_deployed_commit(client, app.stack, head_sha)
    ```

    ## Use instead
    ```python
    def test_upgrade(client, app, head_sha):
        before = snapshot_stack(client, app.stack)
        chaos_redeploy(app)
        assert_upgrade_converged(client, app.stack, before, timeout=900)
        assert_deployed_commit(client, app.stack, head_sha, before=before)
    ```

    ## Fix
    Unsafe (only with `fix --in-place --unsafe-fixes`): inserts the guard call on the line
    after the redeploy statement, written like the module's first guard call (or as
    `guard-call` when it has none), and imports `assert_upgrade_converged` from
    `compose_policy.harness` when the module does not bind that name. It is offered only
    where every name the call passes (a client, the stack, the snapshot taken before) is a
    parameter, a variable or an import of the function or the module; whether they are the
    right ones is for review. A redeploy that is not a statement of its own
    (`return chaos_redeploy(...)`) has no fix.

    ## See also
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
      returns before the services converge.
    - Docker: [rolling updates and rollback](https://docs.docker.com/engine/swarm/swarm-tutorial/rolling-update/).
    - [The harness](../harness.md): `assert_upgrade_converged`, `verify_upgrade`.
    """

    code = "CP501"
    name = "upgrade-without-convergence-guard"
    severity = Severity.ERROR
    fix_applicability = Applicability.UNSAFE
    options = {
        **REDEPLOY_OPTIONS,
        "guard-functions": GUARDS,
        "guard-contexts": GUARD_CONTEXTS,
        "commit-checks": COMMIT_CHECKS,
        "guard-call": GUARD_CALL,
    }
    option_help = {
        **REDEPLOY_OPTION_HELP,
        "guard-functions": "The convergence guards: a call to one of them on the path clears the redeploy.",
        "guard-contexts": "Context managers that check convergence when their `with` block ends: a redeploy "
                          "inside the block is guarded from there on.",
        "commit-checks": "Functions that check the deployed commit (HC1).",
        "guard-call": "The call the fix inserts when the module calls no guard it could copy.",
    }

    def check_module(self, module, ctx):
        from compose_policy.rules._harness import Names, argument_names, dotted, last, names_in_scope, parents_of
        from compose_policy.rules._upgrade_flow import statement_calls, unguarded_redeploys

        names = Names(ctx.options)
        guard = last(names.guards[0]) if names.guards else "a convergence guard"
        template = None
        fixable = statement_calls(module.tree)
        parents = None
        for call, escape in unguarded_redeploys(module.tree, names):
            line = module.position(escape.node).line
            what = {"ends": "the function ends" if escape.node is not module.tree else "the module ends",
                    "returns": f"returns (line {line})"}.get(escape.what, f"{escape.what} (line {line})")
            message = (f"{dotted(call.func) or 'a command'}(...) redeploys for an upgrade, then {what} "
                       f"without {guard}() on every path in between")
            if template is None:
                template = guard_statement(module.tree, names, ctx.options.get("guard-call", GUARD_CALL))
            fix = None
            if call in fixable:
                parents = parents if parents is not None else parents_of(module.tree)
                # only where the call can run: every name it passes exists in the function or module
                if argument_names(template[0]) <= names_in_scope(call, module.tree, parents):
                    fix = Fix(None, ("python", "insert-after"), template,
                              "wait for the upgrade to converge before anything reads its result",
                              Applicability.UNSAFE)
            yield self.finding_at(module, call, message, fix=fix)


def guard_statement(tree, names, default_call: str):
    """(the guard call to insert, the import it needs or None): the module's own guard call
    when it has one, else the configured ``guard-call``."""
    from compose_policy.rules._harness import all_calls, bound_names, last

    text = None
    for call in all_calls(tree):
        if names.is_guard(call):
            text = tree.code_for_node(call)
            break
    text = text or default_call
    head = text.split("(", 1)[0].strip()
    needs = None
    if "." not in head and head not in bound_names(tree):
        needs = f"from compose_policy.harness import {head}" if head == last(GUARDS[0]) else None
    return (text, needs)
