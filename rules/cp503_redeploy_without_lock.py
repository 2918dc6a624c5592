from compose_policy.model import Severity
from compose_policy.pyrule import PythonRule
from compose_policy.rules._redeploy_options import REDEPLOY_OPTION_HELP, REDEPLOY_OPTIONS

LOCKS = ["stack_lock", "deploy_lock", "app_lock", "lock", "FileLock", "SoftFileLock"]


class RedeployWithoutLock(PythonRule):
    """An upgrade redeploy skips the lock the harness's install path takes on the stack.

    ## What it does
    In a Python harness where some deploy of the stack runs inside a lock (`with
    stack_lock(...):`, `with FileLock(...):`, or a call of the function from inside such a
    block), reports each upgrade redeploy (the calls CP501 recognises) that runs outside
    any lock.

    ## Why is this bad
    The lock exists because two CI runs share one swarm stack: two pipelines of the same
    recipe, or a retry started while the first run is still deploying. An install that
    takes the lock and an upgrade that does not race: `docker stack deploy` of one run
    replaces the spec the other is converging, the convergence guard of one run watches
    the other's update, and a green result can belong to the wrong commit.

    ## Example
    ```python
    def install(app):
        with stack_lock(app.stack):
            deploy_app(app.domain)

    def upgrade(app):
        chaos_redeploy(app.domain)
    ```

    ## Use instead
    ```python
    def upgrade(app):
        with stack_lock(app.stack):
            chaos_redeploy(app.domain)
    ```

    ## Fix
    Not fixable automatically: what the lock covers (the redeploy alone, or the guard and
    the commit check too) is the author's call.

    ## See also
    - Docker: [docker stack deploy](https://docs.docker.com/reference/cli/docker/stack/deploy/)
      replaces the spec of every service of the stack; the last deploy wins.
    - Docker: [how swarm applies a service update](https://docs.docker.com/reference/cli/docker/service/update/).
    """

    code = "CP503"
    name = "redeploy-without-lock"
    severity = Severity.WARNING
    options = {**REDEPLOY_OPTIONS, "lock-names": LOCKS}
    option_help = {
        **REDEPLOY_OPTION_HELP,
        "lock-names": "Context managers that lock the stack (matched by the last part of their dotted name).",
    }

    def check_module(self, module, ctx):
        from compose_policy.rules._harness import Names, dotted
        from compose_policy.rules._locks import deploys_by_lock

        names = Names(ctx.options)
        locked, unlocked = deploys_by_lock(module.tree, names)
        if not locked:
            return
        first_call, lock = locked[0]
        line = module.position(first_call).line
        for call in unlocked:
            yield self.finding_at(module, call, (
                f"{dotted(call.func) or 'a command'}(...) redeploys for an upgrade outside {lock}, which the deploy "
                f"on line {line} takes: concurrent runs race on one stack"))
