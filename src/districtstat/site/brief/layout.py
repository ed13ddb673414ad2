"""The brief as a page of the site: the site around it on screen, the brief alone in print; and the names of the
brief's page and PDF in each district's folder."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from districtstat.site.pages import front_matter

PAGE, PDF = "brief.qmd", "brief.pdf"


@cache
def template(name: str) -> str:
    return resources.files("districtstat").joinpath(f"templates/{name}").read_text(encoding="utf-8")


def runs_html(parts: list[dict]) -> str:
    return "".join(f"<strong>{html.escape(p['text'])}</strong>" if p["strong"] else html.escape(p["text"]) for p in parts)


def table_html(table: dict, caption: str) -> str:
    """A table as the site lays one out, so it scrolls on a phone under its first column as theirs do."""
    head = "".join(f'<th scope="col">{html.escape(cell)}</th>' for cell in table["header"])
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{html.escape(cell)}</th>' if i == 0 else f"<td>{html.escape(cell)}</td>" for i, cell in enumerate(row)) + "</tr>" for row in table["rows"]
    )
    return (
        f'<div class="districtstat-table" tabindex="0" role="region" aria-label="{html.escape(caption)}"><table class="table table-sm">'
        f"<caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def brief_page(data: dict) -> str:
    """The brief as a page of the site: the site around it on screen, the brief alone in print."""
    front = {"title": data["district"], "subtitle": data["subtitle"], "toc": False, "include-in-header": [{"text": f"<style>\n{template('brief.css')}</style>"}]}
    glance = "".join(f'<li><span class="brief-value">{html.escape(g["value"])}</span> {html.escape(g["label"])}</li>' for g in data["glance"])
    parts = [
        f'<p class="brief-release">{html.escape(data["release"])}<span class="brief-pdf-link"> · <a href="{PDF}">Download this brief as a PDF</a> (one letter page)</span></p>',
        f'<ul class="brief-glance">{glance}</ul>',
        f"<p>{runs_html(data['summary'])}</p>",
    ]
    if data["figures"]["rows"]:
        figures = data["figures"]
        parts += [f"<h2>{html.escape(figures['title'])}</h2>", table_html(figures, figures["caption"]), f'<p class="table-note">{html.escape(figures["note"])}</p>']
    for section in data["sections"]:
        parts.append(f"<h2>{html.escape(section['title'])}</h2>")
        parts += [f"<p>{runs_html(p)}</p>" for p in section["paragraphs"]]
        if section["bullets"]:
            parts.append("<ul>" + "".join(f"<li>{runs_html(b)}</li>" for b in section["bullets"]) + "</ul>")
    parts.append(f"<h2>{html.escape(data['goals']['title'])}</h2>")
    parts.append(table_html(data["goals"], data["goals"]["caption"]) if data["goals"]["rows"] else f"<p>{html.escape(data['goals']['none'])}</p>")
    parts += [f'<p class="table-note suppression-note">{html.escape(note)}</p>' for note in data["notes"]]
    links = " · ".join(f'<a href="{html.escape(p["href"])}">{html.escape(p["text"])}</a>' for p in data["pages"])
    parts.append(f'<p class="brief-pages">{html.escape(data["pages_intro"])} {links}</p>')
    parts.append(f'<p class="provenance">{html.escape(data["provenance"])}</p>')
    return front_matter(front) + '\n```{=html}\n<div class="district-brief">\n' + "\n".join(parts) + "\n</div>\n```\n"
