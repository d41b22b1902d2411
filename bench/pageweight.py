"""Page weight: what a page costs a learner on a slow link, in headless Chromium.

    .venv/bin/python bench/pageweight.py [--base http://127.0.0.1:5000] [--login NIP:PASSWORD]
        [--profile none|3g|slow2g] [--json FILE] PATH...

Each PATH is opened in a new browser context (a cold cache) on a throttled link, then
reloaded once in the same context (a warm cache). Bytes are what crossed the network
(headers and compressed bodies, redirects included). Requests are those that went to the
network, each redirect hop counted; they leave out answers from the browser's cache, data:
and blob: URLs, and the favicon, which a browser fetches once per session, not per page.
The load time is the page's load event, counted from the start of the navigation.
1 KB = 1000 bytes, as in the page budget (tests/core/test_page_budget.py). Only 127.0.0.1
and localhost are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.parse

from playwright.sync_api import Browser, sync_playwright

# (latency ms, download kbit/s, upload kbit/s); None: no throttling.
PROFILES = {"none": None, "3g": (100, 750, 250), "slow2g": (300, 250, 50)}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def counted(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return False
    return not parts.path.rsplit("/", 1)[-1].startswith("favicon.")


class Recorder:
    """Network events of one page, from its own DevTools session: one entry per request,
    each redirect hop its own (the hops of a redirect chain share a request id)."""

    def __init__(self, cdp):
        self.reset()
        cdp.on("Network.requestWillBeSent", self.sent)
        cdp.on("Network.requestServedFromCache", self.from_cache)
        cdp.on("Network.loadingFinished", self.finished)
        cdp.on("Network.loadingFailed", self.failed)

    def reset(self) -> None:
        self.entries: list[dict] = []
        self.current: dict[str, dict] = {}  # request id -> its latest hop

    def sent(self, event: dict) -> None:
        hop = self.current.get(event["requestId"])
        if hop and event.get("redirectResponse"):  # the redirect ends here, with no loadingFinished
            hop["bytes"] = event["redirectResponse"].get("encodedDataLength", 0)
            hop["status"] = event["redirectResponse"]["status"]
        url = event["request"]["url"]
        if counted(url):
            self.current[event["requestId"]] = entry = {"url": url, "bytes": 0, "cached": False}
            self.entries.append(entry)

    def from_cache(self, event: dict) -> None:
        if event["requestId"] in self.current:
            self.current[event["requestId"]]["cached"] = True

    def finished(self, event: dict) -> None:
        if event["requestId"] in self.current:
            self.current[event["requestId"]]["bytes"] = event["encodedDataLength"]

    def failed(self, event: dict) -> None:
        if event["requestId"] in self.current:
            self.current[event["requestId"]]["failed"] = event.get("errorText", "failed")

    def figures(self) -> dict:
        network = [e for e in self.entries if not e["cached"]]
        return {
            "bytes": sum(e["bytes"] for e in self.entries),
            "requests": len(network),
            "from_cache": len(self.entries) - len(network),
            "notes": [
                f"{e['url']}: {e.get('failed') or 'not on 127.0.0.1/localhost'}"
                for e in self.entries
                if e.get("failed") or urllib.parse.urlsplit(e["url"]).hostname not in LOCAL_HOSTS
            ],
            "entries": self.entries,
        }


def load_seconds(page) -> float:
    entry = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    return round(entry["loadEventEnd"] / 1000, 2)


def sign_in(browser: Browser, base: str, login: str) -> list[dict]:
    nip, _, password = login.partition(":")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/masuk")
    page.fill("#nip", nip)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    if urllib.parse.urlsplit(page.url).path == "/masuk":
        raise SystemExit(f"sign-in as {nip} failed")
    cookies = context.cookies()
    context.close()
    return cookies


def measure(browser: Browser, url: str, cookies: list[dict], profile: tuple | None) -> dict:
    context = browser.new_context()
    context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if profile:
        latency, down, up = profile
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": latency,
                "downloadThroughput": down * 1000 / 8,  # bytes per second
                "uploadThroughput": up * 1000 / 8,
            },
        )
    recorder = Recorder(cdp)
    row = {}
    for visit in ("cold", "warm"):
        recorder.reset()
        response = page.goto(url, wait_until="load") if visit == "cold" else page.reload(wait_until="load")
        page.wait_for_load_state("networkidle")
        row[visit] = {
            "status": response.status if response else None,
            "final_url": page.url,
            "load_s": load_seconds(page),
            **recorder.figures(),
        }
    context.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--login", metavar="NIP:PASSWORD")
    parser.add_argument("--profile", choices=PROFILES, default="slow2g")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON ('-': stdout)")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    if urllib.parse.urlsplit(base).hostname not in LOCAL_HOSTS:
        parser.error("--base must be on 127.0.0.1 or localhost")
    if not all(path.startswith("/") for path in args.paths):
        parser.error("each PATH starts with /")

    results = {}
    with sync_playwright() as playwright:
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        cookies = sign_in(browser, base, args.login) if args.login else []
        for path in args.paths:
            results[path] = measure(browser, base + path, cookies, PROFILES[args.profile])
        browser.close()

    who = f"signed in as {args.login.partition(':')[0]}" if args.login else "not signed in"
    print(f"profile {args.profile}, {who}, cold cache | warm reload")
    print(f"{'path':56} {'KB':>6} {'req':>4} {'load s':>7} | {'KB':>5} {'req':>4} {'load s':>7}  status")
    for path, row in results.items():
        cold, warm = row["cold"], row["warm"]
        print(
            f"{path:56} {cold['bytes'] / 1000:>6.1f} {cold['requests']:>4} {cold['load_s']:>7.2f}"
            f" | {warm['bytes'] / 1000:>5.1f} {warm['requests']:>4} {warm['load_s']:>7.2f}  {cold['status']}"
        )
        if urllib.parse.urlsplit(cold["final_url"]).path != urllib.parse.urlsplit(path).path:
            print(f"    ! ended at {cold['final_url']}")
        for note in sorted({*cold["notes"], *warm["notes"]}):
            print(f"    ! {note}")
    if args.json:
        text = json.dumps({"base": base, "profile": args.profile, "results": results}, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as out:
                out.write(text + "\n")


if __name__ == "__main__":
    main()
