"""A Spanish reader meets Spanish: every page reachable by links, for a visitor and for each
role, is read as a Spanish reader reads it, and English UI text fails the test.

The check is a heuristic over the visible text (and the words a screen reader says: aria-label,
alt, placeholder, title), leaving out what is not the site's own words:

- anything inside an element marked ``lang="en"`` (a listing written only in English, a
  partner's mission, a schedule: the page says so and a reader's tools switch voice),
- ``<code>``, ``<pre>``, ``<script>``, ``<style>``, and ``translate="no"`` text,
- data: the names of people, partners and schools the test made (listed below).

What remains is flagged when it holds two or more words that are English and never Spanish
("your", "with", "the", "please"...), or when a short label (a button, a link of three words or
fewer) is one of the site's English button words ("Search", "Apply", "Save"). The words are
common enough that a missed translation shows, and none of them is a Spanish word.
"""

import re
from collections import deque
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from cpspartners.extensions import db
from cpspartners.models import User
from tests.conftest import sign_in_as

ENGLISH_ONLY_WORDS = frozenset(
    [
        "the",
        "your",
        "you",
        "with",
        "this",
        "that",
        "from",
        "will",
        "are",
        "have",
        "has",
        "not",
        "what",
        "when",
        "which",
        "been",
        "there",
        "these",
        "they",
        "our",
        "please",
        "here",
        "more",
        "about",
        "their",
        "is",
        "was",
        "were",
        "can",
        "cannot",
        "should",
        "must",
        "would",
        "could",
        "an",
        "or",
        "by",
        "at",
        "on",
        "in",
        "of",
        "for",
        "and",
        "to",
        "it",
        "its",
        "be",
        "who",
        "how",
        "why",
        "all",
        "any",
        "some",
        "than",
        "then",
        "into",
        "out",
        "up",
        "new",
        "see",
        "view",
        "open",
        "closed",
        "yet",
        "still",
        "only",
        "just",
        "each",
        "every",
        "other",
        "none",
        "no-one",
        "nothing",
        "shown",
    ]
)
BUTTON_WORDS = frozenset(
    [
        "search",
        "apply",
        "save",
        "send",
        "sign",
        "next",
        "previous",
        "back",
        "home",
        "filter",
        "submit",
        "request",
        "close",
        "edit",
        "delete",
        "cancel",
        "approve",
        "reject",
        "menu",
        "skip",
        "more",
        "show",
        "find",
        "add",
        "remove",
        "update",
        "download",
        "subscribe",
    ]
)
SKIPPED_TAGS = {"script", "style", "code", "pre", "template", "textarea"}  # a textarea holds what someone typed
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SPOKEN_ATTRIBUTES = ("aria-label", "alt", "placeholder", "title")
# Links a crawl must not follow: they change state on GET, leave the page's language, or are files.
NOT_FOLLOWED = re.compile(r"^/(language/|account/sign-out|static/|calendar/|transfers/.*\.csv|.*\.(csv|ics|svg|png)$)")
MAX_PAGES = 120


class VisibleText(HTMLParser):
    """The text a Spanish reader meets, outside ``lang="en"`` and code, and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, excluded) for each open element
        self.pieces = []
        self.links = []

    def _excluded(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        excluded = (
            self._excluded()
            or tag in SKIPPED_TAGS
            or ((attrs.get("lang") or "").startswith("en") and tag != "html")
            or attrs.get("translate") == "no"
        )
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if not excluded:
            for name in SPOKEN_ATTRIBUTES:
                if attrs.get(name):
                    self.pieces.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.pieces.append(attrs["value"])
        if tag not in VOID_TAGS:
            self.stack.append((tag, excluded))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Pop to the matching element: browsers forgive a missing end tag, so does the crawl.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self._excluded():
            self.pieces.append(data.strip())


def words(text):
    return re.findall(r"[a-záéíóúüñ]+(?:'[a-z]+)?", text.lower())


def english_in(text, names=()):
    """Why ``text`` reads as English UI text, or None. ``names`` are data to leave out."""
    for name in names:
        text = text.replace(name, " ")
    found = words(text)
    marked = [w for w in found if w in ENGLISH_ONLY_WORDS]
    if len(set(marked)) >= 2:
        return "English words %s" % sorted(set(marked))
    if 0 < len(found) <= 3 and all(w in BUTTON_WORDS for w in found):
        return "an English label"
    return None


def crawl(client, starts, names, lang="es"):
    """Every page reachable from ``starts`` by links (GET, inside the site), with what is English."""
    seen, queue, problems, pages = set(), deque(starts), [], 0
    while queue and pages < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages += 1
        html = response.get_data(as_text=True)
        assert '<html lang="%s">' % lang in html, path
        parser = VisibleText()
        parser.feed(html)
        for piece in parser.pieces:
            why = english_in(piece, names)
            if why:
                problems.append((path, piece[:120], why))
        for href in parser.links:
            href, _fragment = urldefrag(href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + ("?" + parts.query if parts.query else "")
            # One page of each list is enough: the pager's pages and filtered lists repeat the same words.
            if NOT_FOLLOWED.match(parts.path) or "page=" in parts.query:
                continue
            if parts.query and parts.path in {urlsplit(s).path for s in seen}:
                continue
            queue.append(target)
    return pages, problems


@pytest.fixture
def spanish_world(people, make_opportunity, curie):
    """Data as a bilingual partner writes it: Spanish beside the English; and one English-only listing."""
    for who in people.values():
        if isinstance(who, User):
            who.preferred_language = "es"
    partner = people["partner"]
    partner.mission, partner.mission_es = "Robots after school.", "Robots después de clases."
    db.session.commit()
    make_opportunity(
        slug="taller-robotica",
        partner=partner,
        title="Robotics workshop",
        title_es="Taller de robótica",
        summary="Build a robot with us.",
        summary_es="Construye un robot con nosotros.",
        kind="guest_speaker",
        tags=["robotics", "welding"],
    )
    make_opportunity(
        slug="practica-soldadura",
        partner=partner,
        title="Welding internship",
        title_es="Práctica de soldadura",
        summary="Paid welding internship.",
        summary_es="Práctica pagada de soldadura.",
        kind="internship",
        audience="students",
        deadline=date.today() + timedelta(days=20),
    )
    make_opportunity(slug="english-only", partner=partner, title="Coding club", summary="Learn to code with us.")
    return people


def names_of(world, curie):
    """Proper names the pages show as data: schools, community areas, networks, people, partners."""
    from sqlalchemy import select

    from cpspartners.models import CommunityArea, School

    found = ["cpspartners", "Chicago Public Schools", "CPS"]
    found += db.session.scalars(select(School.long_name)).all() + db.session.scalars(select(School.short_name)).all()
    found += db.session.scalars(select(CommunityArea.name)).all()
    found += db.session.scalars(select(School.network)).all() + db.session.scalars(select(School.address)).all()
    for who in world.values():
        found.append(getattr(who, "name", ""))
    # Longest first, so "Back of the Yards IB High School" goes before "Back of the Yards".
    return sorted({n for n in found if n}, key=len, reverse=True)


ROLE_STARTS = {
    "student": ["/", "/for-you", "/applications/mine", "/account", "/notifications", "/opportunities"],
    "teacher": ["/", "/visits/find", "/visits/mine", "/for-you", "/account", "/opportunities?kind=guest_speaker"],
    "staff": ["/", "/partner", "/applications/received", "/visits/received", "/account"],
    "specialist": ["/", "/review", "/review/audit", "/newsletters", "/account"],
}


def test_a_visitor_reads_every_public_page_in_spanish(es_client, spanish_world, curie):
    pages, problems = crawl(
        es_client, ["/", "/opportunities", "/partners", "/schools", "/search?q=robot"], names_of(spanish_world, curie)
    )
    assert pages >= 10
    assert problems == [], "\n".join(map(str, problems))


@pytest.mark.parametrize("role", sorted(ROLE_STARTS))
def test_each_role_reads_its_pages_in_spanish(app, spanish_world, curie, role):
    client = app.test_client()
    sign_in_as(client, spanish_world[role])  # no language cookie: the account's language decides
    pages, problems = crawl(client, ROLE_STARTS[role], names_of(spanish_world, curie))
    print(role, pages)
    assert pages >= 8
    assert problems == [], "\n".join(map(str, problems))


def test_the_same_crawl_flags_the_english_pages(client, spanish_world, curie):
    """The crawl reads the pages: run over the English pages, it finds English on most of them."""
    client.set_cookie("lang", "en")
    pages, problems = crawl(
        client, ["/", "/opportunities", "/partners", "/schools"], names_of(spanish_world, curie), "en"
    )
    assert len({path for path, _text, _why in problems}) >= pages // 2


def test_the_heuristic_catches_english():
    assert english_in("Sign in to apply for this opportunity")
    assert english_in("Search")
    assert english_in("Buscar") is None
    assert english_in("Inicia sesión con tu cuenta") is None
    assert english_in("Curie Metropolitan High School", ["Curie Metropolitan High School"]) is None
