"""How a reader finds the pages: the generated `_quarto.yml` with its menus (topics, actions, what changed), the
pages' titles, and the listing of every district."""

from __future__ import annotations

import yaml

from districtstat.config import Project
from districtstat.site.pages import front_matter, page_script

WHAT_CHANGED = "what-changed.qmd"
ACTIONS_PAGE = "actions.ipynb"
PAGE_TITLES = {"scorecard": "scorecard", "outcome_gaps": "outcome gaps by student group", "efficiency": "spending and results", "peers": "peer districts", "operations": "support services month by month"}


def page_title(notebook: str) -> str:
    return PAGE_TITLES.get(notebook, notebook.replace("_", " "))


def size_band(enrollment: float) -> str:
    if enrollment < 1000:
        return "Small (under 1,000)"
    if enrollment < 10000:
        return "Medium (1,000–9,999)"
    return "Large (10,000 or more)"


def quarto_config(project: Project, previous: str | None) -> str:
    """The project's `_quarto.yml`, with the release's title, footer and generated menus (topics, what changed)."""
    config = yaml.safe_load(project.quarto_config.read_text(encoding="utf-8"))
    website = config.setdefault("website", {})
    generated = []
    if project.settings.topics:
        generated.append({"text": "Topics", "menu": [{"href": f"topics/{t.id}.ipynb", "text": t.title} for t in project.settings.topics]})
    generated.append({"href": ACTIONS_PAGE, "text": "Actions"})
    generated += [{"href": f"{notebook}.ipynb", "text": page_title(notebook).capitalize()} for notebook in project.settings.consortium_notebooks]
    if previous is not None:
        generated.append({"href": WHAT_CHANGED, "text": "What changed"})
    left = website.setdefault("navbar", {}).setdefault("left", [])
    after_districts = next((i + 1 for i, item in enumerate(left) if isinstance(item, dict) and item.get("href") == "districts.qmd"), len(left))
    left[after_districts:after_districts] = generated
    website["title"] = f"{project.settings.title} · {project.release}"
    website.setdefault("page-footer", {})["center"] = f"districtstat · release {project.release} · provenance at the foot of each page"
    html_format = config.setdefault("format", {}).setdefault("html", {})
    html_format["page-layout"] = "full"  # wide tables use the page's width beside the contents, in Quarto as in smalldocs
    html_format["include-after-body"] = [{"text": page_script(name)} for name in ("release-switcher.js", "district-finder.js", "reading-aids.js")]
    resources = config.setdefault("project", {}).get("resources") or []
    config["project"]["resources"] = [*([resources] if isinstance(resources, str) else resources), "downloads/**", "datapackage.json"]
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def listing_page(settings_title: str, by: str = "a region or size", note: str = "") -> str:
    """The district finder; `by` names the categories the data give (none: no region and no enrollment reported)."""
    front = {
        "title": "Districts",
        "listing": {
            "contents": "districts/*/index.qmd",
            "type": "table",
            "fields": ["title", "subtitle", "description", "categories"],
            "field-display-names": {"title": "District", "subtitle": "Id", "description": "Profile", "categories": "Region and size"},
            "sort": "title",
            "filter-ui": True,
            "sort-ui": True,
            "categories": True,
            "page-size": 100,
        },
    }
    choose = f", or choose {by} on the right" if by else ""
    return f"{front_matter(front)}\nEvery district in {settings_title}. Type in the filter box to find a district by name{choose}.\n" + (f"\n{note}\n" if note else "")
