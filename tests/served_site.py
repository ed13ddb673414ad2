"""A built site served on this machine, and the two readers that check it: Chromium and LinkChecker."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from districtstat.site.serve import QuietHandler, site_server, site_url

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
NO_CHROMIUM = "no Chromium on this machine: install Debian's chromium package (`apt-get install chromium`) to run the browser tests"

# The districts listing filters on `#category=NAME`, read by its script: a filter, not an id to scroll to.
LISTING_FILTER = "category="


def find_chromium() -> str | None:
    """The system's Chromium: playwright must never download a browser of its own."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class LinkCheckerWelcome(QuietHandler):
    """Says `LinkChecker` in every response: LinkChecker then lifts its politeness limit of a few requests a
    second for this host, which would otherwise make checking two releases take minutes."""

    def end_headers(self) -> None:
        self.send_header("LinkChecker", "local test server")
        super().end_headers()


@dataclass(frozen=True)
class ServedSite:
    folder: Path
    url: str

    def url_of(self, relative: str) -> str:
        return self.url + relative

    def peers_of(self, release: str, district: str) -> list[str]:
        """A district's peers as the build's peers table has them: what the find box must mark."""
        import pandas as pd

        peers = pd.read_parquet(self.folder.parent / "build" / release / "tables" / "peers.parquet")
        return peers.loc[peers["district"] == district, "peer"].tolist()

    def pages(self, release: str | None = None) -> list[str]:
        """Every HTML file of one release (or of the whole site), as URLs."""
        top = self.folder / release if release else self.folder
        return [self.url_of(page.relative_to(self.folder).as_posix()) for page in sorted(top.rglob("*.html"))]


@contextmanager
def serving(folder: Path):
    """`districtstat serve`'s server on a free port, in a thread, for as long as the block runs."""
    server = site_server(folder, port=0, handler=LinkCheckerWelcome)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ServedSite(folder, site_url(server))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# LinkChecker run as root switches to the user nobody, who cannot read a project under a private home folder
# (nor the venv's modules it imports later). It fetches only from our own server on 127.0.0.1, so it keeps
# the user it was started as.
LINKCHECKER = "import linkcheck.command.linkchecker as command; command.drop_privileges = lambda: None; command.linkchecker()"
LINKCHECKER_CONFIG = "[checking]\nmaxrequestspersecond=1000\n[AnchorCheck]\n"


def start_linkchecker(pages: list[str], config: Path) -> subprocess.Popen:
    """LinkChecker on the given pages, each link one level deep with its fragment, in the background.
    Links outside the site are not followed (there is no network here; mail addresses would need DNS), nor
    inline `data:` images."""
    command = [sys.executable, "-c", LINKCHECKER, "--config", str(config), "--recursion-level", "1", "--no-status", "--no-robots", "--output", "xml"]
    command += ["--ignore-url", "^data:", "--ignore-url", "^mailto:", "--ignore-url", "#" + LISTING_FILTER]
    return subprocess.Popen([*command, *pages], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def reported_problems(run: subprocess.Popen, site: ServedSite) -> list[str]:
    """Each broken link LinkChecker reported, as `page: link: what is wrong`."""
    out, err = run.communicate(timeout=300)
    if "<linkchecker" not in out:
        raise RuntimeError(f"LinkChecker did not run (exit {run.returncode}): {err[-2000:]}")
    problems = []
    for checked in ElementTree.fromstring(out[out.index("<linkchecker") :]).iter("urldata"):
        page = (checked.findtext("parent") or "(start)").removeprefix(site.url)
        valid = checked.find("valid")
        wrong = [(warning.text or "").split(" Available anchors:")[0] for warning in checked.iter("warning")]
        if valid is not None and valid.text != "1":
            wrong.insert(0, valid.get("result", "invalid"))
        if wrong:
            problems.append(f"{page}: {checked.findtext('url')}: {'; '.join(wrong)}")
    return problems


def linkchecker_problems(site: ServedSite, workdir: Path) -> list[str]:
    """Every HTML file of the site checked by LinkChecker: one process per release, run side by side,
    since checking fragments means parsing each page again for every link into it."""
    config = workdir / "linkcheckerrc"
    config.write_text(LINKCHECKER_CONFIG, encoding="utf-8")
    groups: dict[str, list[str]] = {}
    for page in site.pages():
        groups.setdefault(page.removeprefix(site.url).split("/")[0], []).append(page)
    runs = [start_linkchecker(pages, config) for pages in groups.values()]
    return [problem for run in runs for problem in reported_problems(run, site)]
