"""The options by which the harness-code rules recognise an upgrade redeploy.

CP501 and CP503 judge the same redeploy calls (``Names.deploy_kind`` in ``_harness.py``), so
they share these defaults and help texts. Kept apart from ``_harness.py``: rule modules read
them when they load, and that module imports libcst, which a compose lint never needs.
"""

REDEPLOY = ["chaos_redeploy"]
DEPLOY = ["deploy_app"]
UPGRADE_KEYWORDS = ["upgrade", "chaos"]

REDEPLOY_OPTIONS = {
    "redeploy-functions": REDEPLOY,
    "deploy-functions": DEPLOY,
    "upgrade-keywords": UPGRADE_KEYWORDS,
}
REDEPLOY_OPTION_HELP = {
    "redeploy-functions": "Functions whose every call redeploys the stack for an upgrade.",
    "deploy-functions": "Functions that deploy; a call is an upgrade redeploy when it passes one of "
                        "`upgrade-keywords` with a value other than `False` or `None`.",
    "upgrade-keywords": "Keyword arguments that make a `deploy-functions` call an upgrade.",
}
