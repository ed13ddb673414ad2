"""Render a release's generated Quarto project: with Quarto when it is installed, else with smalldocs.

With smalldocs the render is incremental. A notebook page or a district's brief whose source and the site
around it (config, page list and titles) are unchanged since the published release is not laid out again: its
HTML is taken from the published release and its search entries from the render keys kept in the build folder.
Whole-site steps (listings, search index, sitemap) and the other generated pages are redone every time.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path, PurePosixPath

from smalldocs import browser, layout, listing
from smalldocs.config import BuildError, ConfigError, load
from smalldocs.site import Site

from districtstat.files import write_json_atomic
from districtstat.provenance import hash_bytes, hash_json

RENDERERS = ("auto", "quarto", "smalldocs")
KEYS_FILE = "render-keys.json"


class RenderError(RuntimeError):
    """The renderer failed; the published site is untouched."""


@dataclass
class Rendered:
    output: Path
    rendered: int = 0
    reused: int = 0
    keys: dict = field(default_factory=dict)

    def save_keys(self, path: Path) -> None:
        """Keep the render keys of what was published, for the next render of this release to reuse."""
        write_json_atomic(path, self.keys, indent=None)


@lru_cache(maxsize=1)
def renderer_fingerprint() -> str:
    """The code that turns executed notebooks into pages and downloads: smalldocs, and districtstat's side of it."""
    package = Path(__file__).parents[1]
    sources = ("site/render.py", "site/project/__init__.py", "site/project/district_pages.py", "site/project/downloads_page.py", "site/project/generate.py", "site/project/navigation.py", "site/project/notebook_pages.py", "site/project/publication.py", "site/project/what_changed.py", "site/project/writer.py", "site/downloads.py", "site/pages.py", "site/versions.py", "templates/styles.css", "templates/release-switcher.js", "templates/district-finder.js", "templates/reading-aids.js")
    return hash_json({"smalldocs": metadata.version("smalldocs"), "code": [hash_bytes((package / name).read_bytes()) for name in sources]})


def choose_renderer(requested: str) -> str:
    if requested not in RENDERERS:
        raise ValueError(f"--renderer {requested!r}: choose one of {', '.join(RENDERERS)}")
    if requested == "auto":
        return "quarto" if shutil.which("quarto") else "smalldocs"
    if requested == "quarto" and not shutil.which("quarto"):
        raise RenderError("--renderer quarto: no `quarto` on PATH; install Quarto or use --renderer smalldocs")
    return requested


def render(project_dir: Path, renderer: str, previous: Path | None = None, keys_file: Path | None = None) -> Rendered:
    """Render the generated project into its `_site`, reusing unchanged pages of `previous` (smalldocs only)."""
    output = project_dir / "_site"
    if renderer == "quarto":
        result = subprocess.run(["quarto", "render", str(project_dir)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RenderError(f"quarto render failed:\n{result.stderr[-4000:]}")
        return Rendered(output)
    try:
        site = IncrementalSite(load(project_dir), previous, keys_file)
        site.build()
    except (BuildError, ConfigError) as error:
        raise RenderError(f"smalldocs render failed: {error}") from error
    broken = [w for w in site.warnings if "broken link" in w]
    if broken:
        raise RenderError("broken links in the generated site:\n" + "\n".join(broken))
    return Rendered(output, site.rendered, site.reused, site.new_keys)


class IncrementalSite(Site):
    """smalldocs' site builder, which lays out again only the notebook pages that changed.

    smalldocs has no incremental build, so `build` repeats its `Site.build` for what a generated project
    uses. A project that turns on what it leaves out (API pages, llms.txt, in-browser notebooks) is built by
    smalldocs' own `build`, in full.
    """

    def __init__(self, project, previous: Path | None, keys_file: Path | None):
        super().__init__(project, quiet=True)
        self.previous = previous if previous is not None and previous.is_dir() else None
        self.old_keys: dict[str, dict] = {}
        if self.previous is not None and keys_file is not None and keys_file.is_file():
            self.old_keys = json.loads(keys_file.read_text(encoding="utf-8"))
        self.new_keys: dict[str, dict] = {}
        self.reusable: set[PurePosixPath] = set()
        self.rendered = self.reused = 0

    def site_key(self) -> str:
        """What every page's layout depends on besides its own source: config, styles, the pages and titles."""
        files = [self.root / "_quarto.yml", self.root / "styles.css"]
        return hash_json(
            {
                "config": [hash_bytes(f.read_bytes()) if f.is_file() else None for f in files],
                "pages": sorted((str(src), str(page.title)) for src, page in self.pages.items()),
                "renderer": renderer_fingerprint(),
            }
        )

    def plan_reuse(self) -> None:
        site = self.site_key()
        from districtstat.site.brief import PAGE as BRIEF

        for src, page in self.pages.items():
            if src.suffix != ".ipynb" and src.name != BRIEF:  # a brief is laid out from its source alone, and there is one a district
                continue
            key = hash_json({"site": site, "source": hash_bytes((self.root / src).read_bytes())})
            self.new_keys[str(src)] = {"key": key}
            old = self.old_keys.get(str(src))
            if old and old["key"] == key and self.previous is not None and (self.previous / page.out).is_file():
                self.reusable.add(src)
                self.new_keys[str(src)]["search"] = old.get("search", [])

    def render_page(self, page) -> None:
        if page.src in self.reusable:
            page.html = ""
            page.env = {"search": self.new_keys[str(page.src)]["search"]}
            return
        super().render_page(page)
        if str(page.src) in self.new_keys:
            self.new_keys[str(page.src)]["search"] = [{"id": s["id"], "title": s["title"], "text": s["text"]} for s in page.env.get("search", [])]

    def uses_more_than_pages(self) -> bool:
        return bool(self.project.smalldocs.get("api")) or self.llms_on() or browser.enabled(self)

    def build(self) -> int:
        """smalldocs' `Site.build`, with the unchanged notebook pages copied instead of laid out."""
        if self.uses_more_than_pages():
            self.rendered = super().build()
            return self.rendered
        self.check_output()
        sources = self.discover()
        self.run_scripts("pre-render", sources)
        sources = self.discover()
        mode = self.draft_mode()
        for src in sources:
            page = self.read(src)
            if self.is_draft(page):
                if mode == "gone":
                    continue
                page.draft = True
            self.pages[src] = page
        if not self.pages:
            raise BuildError(f"no pages to render in {self.root}")
        self.load_symbols()
        self.plan_reuse()
        for page in self.pages.values():
            self.render_page(page)
        nav = layout.SiteNav(self)
        for page in self.pages.values():
            if page.meta.get("listing"):
                listing.expand(self, page)
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        self.page_outputs = frozenset(page.out for page in self.pages.values())
        self.listed_by = listing_hosts(self.pages.values())
        for src, page in self.pages.items():
            dest = self.out / page.out
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src in self.reusable:
                shutil.copyfile(self.previous / page.out, dest)
                self.reused += 1
            else:
                dest.write_text(SiteLayout(self, nav, page).render(), encoding="utf-8")
                self.rendered += 1
        self.copy_assets(nav)
        self.copy_resources()
        self.write_search()
        self.write_sitemap()
        listing.write_feeds(self)
        self.run_scripts("post-render", sources)
        for src, href in self.broken:
            self.warn(f"{src}: broken link {href}")
        return len(self.pages)


def listing_hosts(pages) -> dict[int, list]:
    """The pages whose listings list each page (by the listed page's id), in the site's order."""
    hosts: dict[int, list] = {}
    for host in pages:
        for listed in {id(listed): listed for listed in host.env.get("listing_pages", [])}:
            hosts.setdefault(listed, []).append(host)
    return hosts


class SiteLayout(layout.Layout):
    """smalldocs' page layout, with what it looked up across every page for each link found once a site.

    smalldocs' `Layout.href` builds the set of every page's output for each link it writes, and `category_link` scans
    every page for each category: laying out a site took time growing with the square of its pages (a few seconds at
    California's 2,107 pages, about 20 minutes at 13,000 districts). These two methods are smalldocs' own, reading
    `IncrementalSite.page_outputs` and `listed_by` instead.
    """

    def href(self, item_href: str) -> str:
        from smalldocs.site import rel

        if not item_href or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//|^#", item_href):
            return item_href
        if (self.site.out / item_href).suffix == ".html" and PurePosixPath(item_href) in self.site.page_outputs:
            return rel(PurePosixPath(item_href), self.page)
        return self.site.resolve(self.root_rel(item_href), self.page)

    def category_link(self, cat: str) -> str:
        from smalldocs.site import rel

        hosts = sorted(self.site.listed_by.get(id(self.page), []), key=lambda other: not other.env.get("listing_categories"))
        for other in hosts[:1]:
            return f'<a href="{html.escape(rel(other.out, self.page))}#category={html.escape(cat)}">{html.escape(cat)}</a>'
        return html.escape(cat)
