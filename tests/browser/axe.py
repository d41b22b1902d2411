"""axe-core in the browser tests: ``assert_accessible(page, label)``.

The axe.min.js bundled by axe-playwright-python is evaluated into the page through the
DevTools protocol (``page.evaluate`` of its source, which is what the package's
``Axe.run`` does), not added as a <script> element: the app's CSP (script-src 'self',
no 'unsafe-eval') does not apply to code the protocol runs, so axe works on the real
pages, with the real headers, without ``bypass_csp``. The CSP still holds for the page's
own scripts, and for strings evaluated later from a timer or a promise (which is why
``wait_for_function`` cannot be used on these pages); axe.run evaluates no strings.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
FAILING = ("serious", "critical")
SNIPPET = 160

_axe = Axe()


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now."""
    return _axe.run(page, options=OPTIONS).response["violations"]


def describe(violation: dict, *, nodes: int = 8) -> str:
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"]
    for node in violation["nodes"][:nodes]:
        target = " ".join(str(t) for t in node["target"])
        html = " ".join(node["html"].split())
        if len(html) > SNIPPET:
            html = html[: SNIPPET - 1] + "…"
        lines.append(f"    {target}  {html}")
    if len(violation["nodes"]) > nodes:
        lines.append(f"    … and {len(violation['nodes']) - nodes} more")
    return "\n".join(lines)


def audit(page, label: str) -> tuple[list[str], list[str]]:
    """Run axe: (serious and critical violations, minor and moderate ones), each as
    readable blocks naming the rule, its impact, its help and the offending elements."""
    failing, lesser = [], []
    for violation in violations(page):
        serious = violation["impact"] in FAILING
        (failing if serious else lesser).append(f"{label}: {describe(violation, nodes=8 if serious else 3)}")
    return failing, lesser


def assert_accessible(page, label: str) -> None:
    """Fail when axe finds a serious or critical violation (WCAG 2.0/2.1/2.2 A and AA,
    and axe's best practices); lesser ones are only printed."""
    failing, lesser = audit(page, label)
    for block in lesser:
        print(f"[axe, not failing] {block}")
    assert not failing, "accessibility violations:\n" + "\n".join(failing)
