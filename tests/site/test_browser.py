"""The published site as readers meet it: two releases served over HTTP, read by Chromium and LinkChecker.

The two releases are the suite's shared pair (`second_release.py`): r2 adds a second topic of the quarter, so its
page exists only in r2, and changes one district's goal. The browser tests drive Debian's Chromium through playwright
and skip, saying why, on a machine without it; the LinkChecker test needs no browser.
"""

from __future__ import annotations

from urllib.error import HTTPError
from urllib.parse import unquote, urldefrag
from urllib.request import urlopen

import pytest

from second_release import FIRST, LATEST, NEW_TOPIC_PAGE, UNCHANGED_DISTRICT
from served_site import LISTING_FILTER, NO_CHROMIUM, find_chromium, linkchecker_problems, serving

DISTRICT = UNCHANGED_DISTRICT
REPORTS = ("scorecard", "outcome_gaps", "efficiency", "peers", "operations")  # the latest release's district notebooks
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def site(second_release):
    """Releases r1 then r2 of the shared consortium, its `site/` served by `districtstat serve`'s server on a free port."""
    with serving(second_release["root"] / "site") as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module: the system's, never one playwright would download."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def status_of(url: str) -> int:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status
    except HTTPError as error:
        return error.code


# Every link on the page as the browser resolves it (scripts' links included), and every id a fragment may name.
LINKS_AND_IDS = """() => ({
    links: [...document.querySelectorAll('a[href]')].map(a => new URL(a.getAttribute('href'), document.baseURI).href),  // chart marks are SVG links too
    ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.name),
})"""


class LinkAudit:
    """What one browser tab saw while opening pages: failed loads, and every link each page offers."""

    def __init__(self, page, site):
        self.page, self.site = page, site
        self.failures: list[str] = []
        self.links: dict[str, set[str]] = {}
        self.ids: dict[str, set[str]] = {}
        page.on("response", self.note_response)
        page.on("requestfailed", self.note_failed_request)

    def note_response(self, response) -> None:
        if response.status >= 400:
            self.failures.append(f"{self.here()}: {response.url.removeprefix(self.site.url)}: HTTP {response.status}")

    def note_failed_request(self, request) -> None:
        """A request that got no answer at all; one cut short because the tab moved on to the next page is not."""
        if request.failure != "net::ERR_ABORTED":
            self.failures.append(f"{self.here()}: {request.url.removeprefix(self.site.url)}: {request.failure}")

    def here(self) -> str:
        return self.page.url.removeprefix(self.site.url)

    def visit(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        found = self.page.evaluate(LINKS_AND_IDS)
        self.links[url] = {href for href in found["links"] if href.startswith(self.site.url)}
        self.ids[url] = set(found["ids"])

    def ids_on(self, url: str) -> set[str]:
        if url not in self.ids:
            self.visit(url)
        return self.ids[url]

    def broken_links(self) -> list[str]:
        """Each link whose page does not answer 200, or whose `#fragment` names no element there."""
        broken, statuses = [], {}
        for source, targets in sorted(self.links.items()):
            for target in sorted(targets):
                address, fragment = urldefrag(target)
                fragment = unquote(fragment)
                if address not in statuses:
                    statuses[address] = status_of(address)
                shown = f"{source.removeprefix(self.site.url)} → {target.removeprefix(self.site.url)}"
                if statuses[address] != 200:
                    broken.append(f"{shown}: HTTP {statuses[address]}")
                elif fragment and not fragment.startswith(LISTING_FILTER) and fragment not in self.ids_on(address):
                    broken.append(f"{shown}: no element with id {fragment!r}")
        return broken


def test_every_internal_link_of_the_latest_release_resolves(page, site):
    audit = LinkAudit(page, site)
    page.goto(site.url_of("index.html"))
    page.wait_for_url(site.url_of(f"{LATEST}/index.html"))  # the site's front door leads to the latest release
    for url in site.pages(LATEST):
        audit.visit(url)
    assert len(audit.links) > 50 and sum(map(len, audit.links.values())) > 500
    problems = audit.failures + audit.broken_links()
    assert not problems, "broken on the latest release:\n" + "\n".join(problems)


def switcher(page):
    """The release switcher the page's script puts in the navbar once it has read versions.json."""
    select = page.locator('select#release-switcher[aria-label="Release"]')
    from playwright.sync_api import TimeoutError as Timeout

    try:
        select.wait_for(state="attached", timeout=5_000)
    except Timeout:
        pytest.fail(f'{page.url}: no <select id="release-switcher" aria-label="Release"> in the page after 5 s')
    return select


def switch_to(page, release: str, lands_on: str) -> None:
    switcher(page).select_option(release)
    page.wait_for_url(lands_on)


def test_the_release_switcher_lists_both_releases_and_moves_between_them(page, site):
    peers = f"districts/{DISTRICT}/peers.html"
    page.goto(site.url_of(f"{LATEST}/{peers}"))
    select = switcher(page)
    assert sorted(select.locator("option").evaluate_all("options => options.map(o => o.value)")) == [FIRST, LATEST]
    assert select.input_value() == LATEST
    switch_to(page, FIRST, site.url_of(f"{FIRST}/{peers}"))
    assert switcher(page).input_value() == FIRST
    only_in_latest = NEW_TOPIC_PAGE
    assert not (site.folder / FIRST / only_in_latest).exists()
    page.goto(site.url_of(f"{LATEST}/{only_in_latest}"))
    switch_to(page, FIRST, site.url_of(f"{FIRST}/index.html"))


def test_an_older_release_says_which_is_the_latest_and_leads_there(page, site):
    page.goto(site.url_of(f"{FIRST}/districts/{DISTRICT}/peers.html"))
    banner = page.locator("p.older-release")
    banner.wait_for()
    assert FIRST in banner.inner_text() and f"The latest is {LATEST}." in banner.inner_text()
    banner.locator("a").click()
    page.wait_for_url(site.url_of(f"{LATEST}/districts/{DISTRICT}/peers.html"))
    page.goto(site.url_of(f"{LATEST}/index.html"))
    switcher(page)
    assert page.locator("p.older-release").count() == 0


def marked_points(page) -> dict[str, list[str]]:
    return page.evaluate("""() => ({
        district: [...document.querySelectorAll('figure.findable-chart a.found-district')].map(a => a.id),
        peers: [...document.querySelectorAll('figure.findable-chart a.found-peer')].map(a => a.id).sort(),
    })""")


def test_the_find_box_marks_a_district_and_its_peers_on_the_consortium_chart(page, site):
    peers = sorted(site.peers_of(LATEST, DISTRICT))
    name = district_name(page, site)
    page.locator('a[href$="index.html?district=' + DISTRICT + '"]').click()  # "Among every district" on its home page
    page.wait_for_url(site.url_of(f"{LATEST}/index.html?district={DISTRICT}"))
    finder = page.locator("figure.findable-chart .district-finder input")
    assert finder.input_value() == name
    drawn = set(page.locator("figure.findable-chart a.district-mark").evaluate_all("marks => marks.map(a => a.id)"))
    drawn_peers = sorted(f"overview-{p}" for p in peers if f"overview-{p}" in drawn)  # a peer whose figures r2 withholds has no mark
    assert drawn_peers and marked_points(page) == {"district": [f"overview-{DISTRICT}"], "peers": drawn_peers}
    finder.fill("")
    assert marked_points(page) == {"district": [], "peers": []}
    finder.fill(name)
    assert marked_points(page)["district"] == [f"overview-{DISTRICT}"]


def district_name(page, site) -> str:
    page.goto(site.url_of(f"{LATEST}/districts/{DISTRICT}/index.html"))
    return page.locator("h1.title").inner_text().strip()


def test_search_finds_a_district_by_name_and_leads_to_its_page(page, site):
    name = district_name(page, site)
    page.goto(site.url_of(f"{LATEST}/index.html"))
    page.locator("#quarto-search input").fill(name)
    home = site.url_of(f"{LATEST}/districts/{DISTRICT}/index.html")
    result = page.locator(f'.smalldocs-search-results a.search-result[href*="districts/{DISTRICT}/index.html"]').first  # the page or one of its sections
    result.wait_for()
    result.click()
    page.wait_for_url(lambda url: urldefrag(url)[0] == home)
    assert page.locator("h1.title").inner_text().strip() == name


def test_the_districts_listing_filter_keeps_the_district_typed_and_hides_others(page, site):
    name = district_name(page, site)
    part = name.split()[0]
    page.goto(site.url_of(f"{LATEST}/districts.html"))
    rows = page.locator(".quarto-listing tr[data-index]")
    assert rows.count() >= 12
    page.locator(".listing-filter").fill(part)
    wanted = rows.filter(has=page.locator(f'a[href="districts/{DISTRICT}/index.html"]'))
    wanted.wait_for(state="visible")
    shown = [text for text, hidden in rows.evaluate_all("rows => rows.map(r => [r.innerText, r.hidden])") if not hidden]
    assert 0 < len(shown) < rows.count(), f"filtering on {part!r} showed {len(shown)} of {rows.count()} districts"
    assert all(part.lower() in text.lower() for text in shown)


CHARTS = """() => [...document.querySelectorAll('figure.districtstat-chart img, figure.districtstat-chart svg')].map(chart => ({
    tag: chart.tagName.toLowerCase(),
    alt: chart.tagName === 'IMG' ? chart.alt.trim() : (chart.getAttribute('aria-label') || chart.querySelector('title')?.textContent || '').trim(),
    drawn: chart.tagName === 'IMG' ? chart.complete && chart.naturalWidth > 0 : chart.getBoundingClientRect().width > 0,
}))"""


def district_pages(site) -> list[str]:
    return [url for url in site.pages(LATEST) if f"/districts/{DISTRICT}/" in url]


def is_report(url: str) -> bool:
    """One of the district's analyses, each of which draws charts (its front page shows key figures only)."""
    return url.rsplit("/", 1)[-1] in {f"{report}.html" for report in REPORTS}


def test_every_chart_on_a_districts_pages_is_drawn_and_described(page, site):
    assert sum(map(is_report, district_pages(site))) == len(REPORTS)
    for url in district_pages(site):
        page.goto(url, wait_until="load")
        charts = page.evaluate(CHARTS)
        assert charts or not is_report(url), f"{url}: no chart"
        for chart in charts:
            assert chart["drawn"], f"{url}: a chart ({chart['tag']}) is not drawn: {chart['alt']!r}"
            assert chart["alt"], f"{url}: a chart ({chart['tag']}) has no text alternative"


def test_district_pages_show_tables_and_charts_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for url in filter(is_report, district_pages(site)):
            page.goto(url, wait_until="load")
            assert page.locator("main table").first.is_visible(), f"{url}: no table shown without JavaScript"
            charts = page.evaluate(CHARTS)
            assert charts and all(chart["drawn"] for chart in charts), f"{url}: charts not drawn without JavaScript"
    finally:
        context.close()


def test_linkchecker_finds_every_link_and_fragment_of_both_releases_resolves(site, tmp_path):
    pages = site.pages()
    assert {f"{FIRST}/index.html", f"{LATEST}/index.html", "index.html"} <= {url.removeprefix(site.url) for url in pages}
    problems = linkchecker_problems(site, tmp_path)
    assert not problems, "LinkChecker found broken links:\n" + "\n".join(problems)


# ------------------------------------------------------------------ the site as its readers use it, laptop and phone

LAPTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
LAYOUT = """() => ({
    sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    tables: [...document.querySelectorAll('main table')].map(table => {
        const box = table.closest('.districtstat-table') || table.parentElement;
        const first = table.querySelector('tbody tr > :first-child');
        return {caption: table.caption ? table.caption.textContent : '(no caption)', cut: box.scrollWidth - box.clientWidth,
                sticky: !!first && getComputedStyle(first).position === 'sticky', cue: box.classList.contains('scrolls')};
    }),
    offscreen: [...document.querySelectorAll('input, select, button, textarea')].filter(c => {
        const r = c.getBoundingClientRect();
        return r.width > 0 && (r.left < -1 || r.right > innerWidth + 1);
    }).map(c => c.outerHTML.slice(0, 80)),
})"""
SMALLEST_CHART_TEXT = """() => Math.min(Infinity, ...[...document.querySelectorAll('.districtstat-chart svg')].flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
}))"""


def reader_pages(site) -> list[str]:
    """One district's pages and every consortium page of the latest release: the other districts' pages are the same pages."""
    return [url for url in site.pages(LATEST) if "/districts/" not in url or f"/districts/{DISTRICT}/" in url]


def layout_problems(page, url: str, viewport: dict) -> list[str]:
    page.goto(url, wait_until="load")
    found = page.evaluate(LAYOUT)
    where = f"{url} at {viewport['width']} px"
    problems = [f"{where}: the page scrolls sideways by {found['sideways']} px"] if found["sideways"] > 1 else []
    for table in found["tables"]:
        if table["cut"] > 1 and not (table["sticky"] and table["cue"]):
            problems.append(f"{where}: “{table['caption']}” hides {table['cut']} px of columns, without a first column that stays and a cue")
    problems += [f"{where}: a control is off screen: {control}" for control in found["offscreen"]]
    return problems


def test_no_table_hides_a_column_and_no_page_scrolls_sideways_on_a_laptop_or_a_phone(browser, site):
    problems = []
    for viewport in (LAPTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            for url in reader_pages(site):
                problems += layout_problems(page, url, viewport)
            page.goto(site.url_of(f"{LATEST}/index.html"), wait_until="load")
            widest = page.evaluate(LAYOUT)["tables"][0]
            if viewport is LAPTOP:
                assert widest["cut"] <= 1, f"the overview's table of every district is cut by {widest['cut']} px at 1280 px"
            else:
                assert widest["cut"] > 1 and widest["sticky"] and widest["cue"], "on a phone the wide table scrolls under its first column, and says so"
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_chart_text_stays_legible_on_a_phone(browser, site):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        for url in [site.url_of(f"{LATEST}/index.html"), *filter(is_report, district_pages(site))]:
            page.goto(url, wait_until="load")
            smallest = page.evaluate(SMALLEST_CHART_TEXT)
            assert 9 <= smallest < 100, f"{url}: the smallest chart text is {smallest:.1f} px on a phone"
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        context.close()


MARKS = """() => [...document.querySelectorAll('figure.findable-chart')].map(figure => ({
    districts: JSON.parse(figure.dataset.districts),
    marks: [...figure.querySelectorAll('a.district-mark')].map(a => ({id: a.id, title: a.querySelector('title').textContent, href: a.getAttribute('href')})),
    prefix: figure.dataset.prefix,
    rows: Object.fromEntries([...([...document.querySelectorAll('table')].find(table =>
        figure.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING)?.querySelectorAll('tr[data-district]') ?? [])]
        .map(tr => [tr.dataset.district, tr.innerText])),
}))"""  # rows: the chart's own table, the first after it


def test_every_district_mark_on_the_overview_and_topic_charts_names_its_district_and_links_its_page(page, site):
    urls = [site.url_of(f"{LATEST}/index.html"), *(url for url in site.pages(LATEST) if "/topics/" in url)]
    assert len(urls) > 1
    for url in urls:
        page.goto(url, wait_until="load")
        charts = page.evaluate(MARKS)
        assert charts, f"{url}: no chart of every district"
        for chart in charts:
            marked = {mark["id"].removeprefix(chart["prefix"] + "-") for mark in chart["marks"]}
            assert len(marked) > len(chart["districts"]) / 2, f"{url}: {len(marked)} marks for {len(chart['districts'])} districts"
            rows = chart["rows"]
            assert rows, f"{url}: no table of the chart's districts after it"
            unmarked_with_a_value = [d for d in sorted(set(chart["districts"]) - marked) if d in rows and "*" not in rows[d]]
            assert not unmarked_with_a_value, f"{url}: no mark for districts whose row shows every value: {unmarked_with_a_value}"
            for mark in chart["marks"]:
                district = mark["id"].removeprefix(chart["prefix"] + "-")
                name = chart["districts"][district]["name"]
                assert mark["title"].startswith(f"{name}: ") and any(ch.isdigit() for ch in mark["title"]), (url, mark)
                assert mark["href"].endswith(f"districts/{district}/index.html"), (url, mark)


def test_a_part_of_a_name_marks_the_district_its_row_and_its_label_on_a_topic_page(page, site):
    name = district_name(page, site)
    topic = next(url for url in site.pages(LATEST) if "/topics/" in url)
    page.goto(topic, wait_until="load")
    part = max(name.split(), key=len).lower()[:5]  # "Prair" for "Prairie View Public Schools"
    page.locator(".district-finder input").first.fill(part)
    found = page.evaluate("""() => ({
        marks: [...document.querySelectorAll('a.district-mark.found-district')].map(a => a.id),
        rows: [...document.querySelectorAll('tr.found-district')].map(tr => tr.dataset.district),
        peerRows: document.querySelectorAll('tr.found-peer').length,
        labels: [...document.querySelectorAll('text.found-label')].map(t => t.textContent),
        boxes: [...document.querySelectorAll('.district-finder input')].map(i => i.value),
    })""")
    matching = page.evaluate(f"() => Object.values(JSON.parse(document.querySelector('figure.findable-chart').dataset.districts)).filter(d => d.name.toLowerCase().includes({part!r})).length")
    if matching > 1:  # several names share the part: the box offers them, and choosing one marks it
        page.locator(".finder-matches button", has_text=name).first.click()
        found = page.evaluate("() => ({marks: [...document.querySelectorAll('a.district-mark.found-district')].map(a => a.id), rows: [...document.querySelectorAll('tr.found-district')].map(tr => tr.dataset.district), peerRows: document.querySelectorAll('tr.found-peer').length, labels: [...document.querySelectorAll('text.found-label')].map(t => t.textContent), boxes: [...document.querySelectorAll('.district-finder input')].map(i => i.value)})")
    charts = page.locator("figure.findable-chart").count()
    assert len(found["marks"]) == charts and all(mark.endswith(f"-{DISTRICT}") for mark in found["marks"])
    assert found["rows"] and set(found["rows"]) == {DISTRICT} and found["peerRows"] > 0
    assert found["labels"].count(name) == charts and len(found["labels"]) > charts  # the district and its peers are labelled
    assert set(found["boxes"][1:]) <= {name} and found["boxes"][0] in (part, name)  # the other boxes follow the one typed in


def test_clicking_a_district_name_or_its_mark_opens_its_page(page, site):
    name = district_name(page, site)
    home = site.url_of(f"{LATEST}/districts/{DISTRICT}/index.html")
    page.goto(site.url_of(f"{LATEST}/index.html"), wait_until="load")
    page.locator(f'tr[data-district="{DISTRICT}"] a', has_text=name).click()
    page.wait_for_url(home)
    topic = next(url for url in site.pages(LATEST) if "/topics/" in url)
    page.goto(topic, wait_until="load")
    page.locator(f'a.district-mark[id$="-{DISTRICT}"]').first.click()
    page.wait_for_url(home)
    page.goto(site.url_of(f"{LATEST}/districts/{DISTRICT}/peers.html"), wait_until="load")
    peer = page.locator("tr[data-district] a").first
    peer_id = peer.evaluate("a => a.closest('tr').dataset.district")
    peer.click()
    page.wait_for_url(site.url_of(f"{LATEST}/districts/{peer_id}/index.html"))


def test_a_mark_shows_its_district_and_value_on_keyboard_focus(page, site):
    page.goto(site.url_of(f"{LATEST}/index.html"), wait_until="load")
    mark = page.locator(f'a.district-mark[id="overview-{DISTRICT}"]')
    mark.focus()
    tip = page.locator(".mark-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == mark.locator("title").text_content()


def test_pages_print_without_the_site_around_them_and_with_every_column(browser, site):
    context = browser.new_context(viewport={"width": 720, "height": 960})  # a letter page's printable width
    page = context.new_page()
    try:
        page.emulate_media(media="print")
        for url in [site.url_of(f"{LATEST}/index.html"), *filter(is_report, district_pages(site))]:
            page.goto(url, wait_until="load")
            assert not page.locator("#quarto-header").is_visible(), f"{url}: the navbar prints"
            cut = [t for t in page.evaluate(LAYOUT)["tables"] if t["cut"] > 1]
            assert not cut, f"{url}: printed tables are cut: {cut}"
    finally:
        context.close()
