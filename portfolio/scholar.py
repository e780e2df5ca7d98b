"""Search-engine metadata on paper pages: Google Scholar meta tags and schema.org JSON-LD.

Scholar's inclusion guidelines ask for ``citation_title``, one ``citation_author``
per author in order, ``citation_publication_date``, ``citation_conference_title``
(or ``citation_journal_title``) and ``citation_pdf_url``. The JSON-LD block
describes the same paper as a schema.org ``ScholarlyArticle``.
"""

from __future__ import annotations

import html
import json

from sphinx.application import Sphinx

from .config import site_url
from .data import get_data
from .schema import Publication


def scholar_tags(pub: Publication) -> list[tuple[str, str]]:
    """Return the ``(name, content)`` pairs of the Scholar meta tags, in order."""
    tags = [("citation_title", pub.title)]
    tags += [("citation_author", name) for name in pub.author]
    tags.append(("citation_publication_date", str(pub.year)))
    if pub.entry_type == "article":
        tags.append(("citation_journal_title", pub.journal))
    elif pub.booktitle:
        tags.append(("citation_conference_title", pub.booktitle))
    pdf = pub.pdf or pub.arxiv
    if pdf and pdf.startswith("https://"):
        tags.append(("citation_pdf_url", pdf))
    return tags


def json_ld(pub: Publication, page_url: str) -> dict:
    """Describe the paper as a schema.org ``ScholarlyArticle``."""
    doc: dict = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": pub.title,
        "name": pub.title,
        "author": [{"@type": "Person", "name": name} for name in pub.author],
        "datePublished": str(pub.year),
        "isPartOf": {
            "@type": "PublicationIssue" if pub.journal else "CreativeWork",
            "name": pub.venue_text,
        },
    }
    if page_url:
        doc["url"] = page_url
    same_as = [url for _, url in pub.links() if url.startswith("https://")]
    if same_as:
        doc["sameAs"] = same_as
    if pub.code:
        doc["codeRepository"] = pub.code
    return doc


def script_safe_json(obj: dict) -> str:
    """JSON for a ``<script>`` element: ``</`` and ``<!--`` cannot close or confuse it."""
    text = json.dumps(obj, ensure_ascii=False, indent=None, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def add_paper_metadata(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    """On a paper page, add the Scholar meta tags and the JSON-LD block to ``<head>``."""
    key = getattr(app.env, "portfolio_paper_docs", {}).get(pagename)
    if key is None:
        return
    pub = get_data(app.env).publications.get(key)
    if pub is None:
        return
    tags = "\n".join(
        f'<meta name="{html.escape(name)}" content="{html.escape(content, quote=True)}" />'
        for name, content in scholar_tags(pub)
    )
    context["metatags"] = context.get("metatags", "") + "\n" + tags + "\n"
    base = site_url(app.config)
    page_url = base + app.builder.get_target_uri(pagename) if base else ""
    app.add_js_file(None, body=script_safe_json(json_ld(pub, page_url)), type="application/ld+json")


def profile_json_ld(profile, page_url: str) -> dict:
    """Describe the home page as a schema.org ``ProfilePage`` of its owner.

    Everything comes from the profile data: the name, the position, the organisations of
    the positions still held (no ``end``), the institutions of finished degrees, the research
    area. No ``sameAs``: the profile names no other page that is the owner's.
    """
    person: dict = {"@type": "Person", "name": profile.name, "jobTitle": profile.position}
    current = list(dict.fromkeys(p.organisation for p in profile.experience if p.end is None))
    if current:
        person["affiliation"] = [{"@type": "Organization", "name": name} for name in current]
    alumni = list(dict.fromkeys(e.institution.name for e in profile.education if e.end))
    if alumni:
        person["alumniOf"] = [{"@type": "CollegeOrUniversity", "name": name} for name in alumni]
    person["knowsAbout"] = profile.research
    doc = {"@context": "https://schema.org", "@type": "ProfilePage", "mainEntity": person}
    if page_url:
        doc["url"] = page_url
        person["url"] = page_url
    return doc


def add_profile_metadata(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    """On the home page, add the owner's ``ProfilePage`` JSON-LD block to ``<head>``."""
    profile = get_data(app.env).profile
    if pagename != app.config.root_doc or profile is None:
        return
    base = site_url(app.config)
    app.add_js_file(
        None, body=script_safe_json(profile_json_ld(profile, base)), type="application/ld+json"
    )


def setup(app: Sphinx) -> dict:
    """Register the metadata hooks."""
    app.connect("html-page-context", add_paper_metadata)
    app.connect("html-page-context", add_profile_metadata)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
