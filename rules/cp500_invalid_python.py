from compose_policy.model import Severity
from compose_policy.rule import Rule


class InvalidPython(Rule):
    """A harness module that is not valid Python, or that cannot be read.

    ## What it does
    Reports a Python file given to `lint` (named on the command line, or a harness-looking
    file found in a folder) that does not parse, is not UTF-8, or is too large or nested
    too deep to be a harness module (over 128 kB, brackets deeper than 50, blocks deeper
    than 40, a statement over 1500 tokens), at the line where reading stopped.

    ## Why is this bad
    The harness-code rules (CP501-CP503) cannot judge a module they cannot parse, so
    whatever it does to an upgrade goes unchecked; Python would refuse to run it too.

    ## Example
    ```python
    def test_upgrade(app:
        chaos_redeploy(app)
    ```

    ## Use instead
    ```python
    def test_upgrade(app):
        chaos_redeploy(app)
    ```

    ## Fix
    Not fixable automatically.
    """

    code = "CP500"
    name = "invalid-python"
    severity = Severity.ERROR
    reported_by_engine = True
    input = "python"
