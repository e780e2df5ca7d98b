"""Publications: the list page, the home page's selection, paper headers, paper links.

Directives
----------
``publication-list``
    Every paper, grouped by year, newest first (``:selected:`` shows only the
    entries with ``selected = {true}``, ungrouped; ``:compact:`` drops BibTeX).
``paper-header``
    The header card of a paper page ``publications/<key>.md`` (argument: the key,
    default the page's name); the page also gets Scholar meta tags and JSON-LD.

Role
----
``{paper}`key```
    The paper's title, linked to its page (or its entry on the list).

Every notebook named as a paper's ``demo`` gets a banner linking back to the paper.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from . import render
from .data import PortfolioData, get_data
from .schema import Publication

logger = logging.getLogger(__name__)


# -- Rendering ------------------------------------------


def warn_unknown_key(markup: SphinxDirective | SphinxRole, name: str, key: str) -> None:
    """Warn, at the directive or role ``name``, that ``key`` is not in the BibTeX file."""
    logger.warning(
        "%s: no publication with key %r in %s",
        name,
        key,
        markup.config.portfolio_bibfile,
        location=markup.get_location(),
        type="portfolio",
        subtype="paper_key",
    )


def authors_paragraph(pub: Publication, owner_names: list[str]) -> nodes.paragraph:
    """Render the author list in order, the owner's name in bold."""
    para = nodes.paragraph(classes=["portfolio-authors"])
    for index, name in enumerate(pub.author):
        if index:
            para += render.text(", ")
        if name in owner_names:
            para += nodes.strong(name, name, classes=["portfolio-owner"])
        else:
            para += render.text(name)
    return para


def venue_paragraph(pub: Publication) -> nodes.paragraph:
    """Render the venue in full, linked when it has an address, and a status note if any."""
    para = nodes.paragraph(classes=["portfolio-venue"])
    venue = nodes.emphasis(pub.venue_text, pub.venue_text)
    if pub.venue_url:
        para += nodes.reference("", "", venue, refuri=pub.venue_url)
    else:
        para += venue
    para += (
        render.text(f", {pub.year}.") if str(pub.year) not in pub.venue_text else render.text(".")
    )
    if pub.status:
        para += render.text(" ")
        para += nodes.inline(pub.status, pub.status, classes=["portfolio-status"])
    return para


def paper_buttons(pub: Publication, env, *, large_demo: bool = False) -> list[nodes.Node]:
    """Run-the-demo (when there is a demo) followed by the paper's link buttons."""
    buttons: list[nodes.Node] = []
    if pub.demo:
        notebook = f"{env.config.portfolio_notebooks_dir}/{pub.demo}"
        buttons.append(
            render.doc_button("Run the demo", notebook, env.docname, primary=True, large=large_demo)
        )
    buttons += [render.link_button(label, url) for label, url in pub.links()]
    return buttons


def bibtex_block(key: str, data: PortfolioData) -> nodes.Node:
    """Render the entry's BibTeX (standard fields only) in a copyable block inside a dropdown."""
    source = data.bibtex[key]
    block = nodes.literal_block(
        source, source, language="bibtex", classes=["portfolio-bibtex-code"]
    )
    return render.dropdown("BibTeX", block, classes=("portfolio-bibtex",))


def title_link(pub: Publication) -> nodes.Node:
    """Render the paper's title in bold, linked to its page or list entry."""
    ref = render.paper_ref("", "", nodes.strong(pub.title, pub.title), key=pub.key)
    return ref


def publication_card(
    pub: Publication, data: PortfolioData, env, *, anchor: bool, compact: bool
) -> nodes.Node:
    """One publication as a sphinx-design card."""
    owner = list(env.config.portfolio_owner_names)
    head = nodes.paragraph(classes=["portfolio-title"])
    head += render.badge(pub.venue, extra=("portfolio-venue-badge",))
    head += render.text(" ")
    head += title_link(pub)
    children: list[nodes.Node] = [head, authors_paragraph(pub, owner), venue_paragraph(pub)]
    buttons = paper_buttons(pub, env)
    if buttons:
        children.append(render.button_row(buttons))
    if not compact:
        children.append(bibtex_block(pub.key, data))
    ids = (nodes.make_id(pub.key),) if anchor else ()
    card = render.card(*children, classes=("portfolio-publication",), ids=ids)
    if not compact:  # the list and the home page get the reproducibility badge (portfolio.claims)
        card["portfolio_paper"] = pub.key
    return card


# -- Directives ------------------------------------------


class PublicationListDirective(SphinxDirective):
    """All publications by year, newest first; or only the selected ones."""

    has_content = False
    option_spec = {"selected": directives.flag, "compact": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        data = get_data(self.env)
        self.env.note_dependency(str(data.files["bib"]))
        pubs = sorted(
            data.publications.values(), key=lambda p: -p.year
        )  # stable: file order within a year
        compact = "compact" in self.options
        if "selected" in self.options:
            chosen = [p for p in pubs if p.selected]
            container = nodes.container(classes=["portfolio-publications", "portfolio-selected"])
            container.extend(
                publication_card(p, data, self.env, anchor=False, compact=compact) for p in chosen
            )
            return [container]
        if not compact:  # the full list is where papers without a page are linked to
            self.env.portfolio_list_docs.add(self.env.docname)
        out: list[nodes.Node] = []
        for year in sorted({p.year for p in pubs}, reverse=True):
            cards = [
                publication_card(p, data, self.env, anchor=not compact, compact=compact)
                for p in pubs
                if p.year == year
            ]
            ident = nodes.make_id(f"{'cv-' if compact else ''}year-{year}")
            out.append(render.section(str(year), ident, *cards))
        return out


class PaperHeaderDirective(SphinxDirective):
    """The header card of a paper page, from its BibTeX entry."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        data = get_data(self.env)
        self.env.note_dependency(str(data.files["bib"]))
        key = self.arguments[0] if self.arguments else self.env.docname.rsplit("/", 1)[-1]
        pub = data.publications.get(key)
        if pub is None:
            warn_unknown_key(self, "paper-header", key)
            return []
        self.env.portfolio_paper_docs[self.env.docname] = key
        owner = list(self.config.portfolio_owner_names)
        # The page's heading is the paper's title (PaperTitleTransform): the card does not
        # repeat it.
        children: list[nodes.Node] = [
            render.button_row([render.badge(pub.venue, extra=("portfolio-venue-badge",))]),
            authors_paragraph(pub, owner),
            venue_paragraph(pub),
        ]
        buttons = paper_buttons(pub, self.env, large_demo=True)
        if buttons:
            children.append(render.button_row(buttons))
        if pub.nodemo:
            note = nodes.paragraph(classes=["portfolio-nodemo"])
            note += render.text(f"No demo notebook: {pub.nodemo}")
            children.append(note)
        children.append(bibtex_block(key, data))
        header = render.card(
            *children, classes=("portfolio-paper-header",), ids=(nodes.make_id(key),)
        )
        header["portfolio_paper"] = key  # read by the claims rows and the launch buttons
        return [header]


class PaperTitleTransform(SphinxTransform):
    """A paper page's heading is the paper's exact title; the page's own heading stays below.

    Google Scholar matches a page to a paper by the title shown in large type, and the
    ``<title>`` comes from the same heading, so both must be the BibTeX title exactly. The
    heading the owner wrote (a short name such as "SLIDE: sparse training on CPUs") is kept
    as a kicker: a line under the title, in small capitals, that is not part of it.
    """

    default_priority = 200  # before Sphinx's title collector reads the heading

    def apply(self, **kwargs) -> None:
        """Replace the first heading of a page with a paper header."""
        key = getattr(self.env, "portfolio_paper_docs", {}).get(self.env.docname)
        pub = get_data(self.env).publications.get(key) if key else None
        section = next(iter(self.document.findall(nodes.section)), None)
        if pub is None or section is None or not isinstance(section[0], nodes.title):
            return
        heading = section[0]
        short = heading.astext().strip()
        heading.children = []
        heading += nodes.Text(pub.title)
        if short and short != pub.title:
            kicker = nodes.paragraph(classes=["portfolio-paper-kicker"])
            kicker += nodes.Text(short)
            section.insert(1, kicker)


class PaperRole(SphinxRole):
    """``{paper}`key```: the paper's title, in italics, linked to the paper."""

    def run(self):
        """Render the role."""
        key = self.text.strip()
        pub = get_data(self.env).publications.get(key)
        if pub is None:
            warn_unknown_key(self, "paper", key)
            return [nodes.literal(self.rawtext, key)], []
        title = render.exact(nodes.emphasis(pub.title, pub.title))
        return [render.paper_ref("", "", title, key=key)], []


# -- Notebook banner and link resolution ------------------------------------------


def add_notebook_banner(app: Sphinx, doctree: nodes.document) -> None:
    """On a paper's demo notebook, say which paper it accompanies, with a link."""
    env = app.env
    nb_dir = app.config.portfolio_notebooks_dir
    if not env.docname.startswith(nb_dir + "/"):
        return
    data = get_data(env)
    env.note_dependency(str(data.files["bib"]))  # a new demo pairing re-reads the notebook page
    key = data.paper_of_notebook(env.docname, nb_dir)
    if key is None:
        return
    pub = data.publications[key]
    banner = render.exact(nodes.paragraph(classes=["portfolio-paper-banner"]))
    banner += render.text("This notebook is the demo of the paper ")
    banner += render.paper_ref("", "", nodes.emphasis(pub.title, pub.title), key=key)
    banner += render.text(f" ({pub.venue}).")
    first = next(iter(doctree.findall(nodes.section)), None)
    if first is not None and first.children and isinstance(first[0], nodes.title):
        first.insert(1, banner)
    else:
        doctree.insert(0, banner)


def resolve_paper_refs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn each ``paper_ref`` into a link: the paper page if it exists, else the list entry."""
    env = app.env
    papers_dir = app.config.portfolio_papers_dir
    list_docs = sorted(env.portfolio_list_docs)
    for node in list(doctree.findall(render.paper_ref)):
        key = node["key"]
        page = f"{papers_dir}/{key}"
        if page in env.portfolio_paper_docs and page != docname:
            uri = app.builder.get_relative_uri(docname, page)
        elif list_docs and (page not in env.portfolio_paper_docs):
            uri = app.builder.get_relative_uri(docname, list_docs[0]) + "#" + nodes.make_id(key)
            if list_docs[0] == docname:
                uri = "#" + nodes.make_id(key)
        else:
            node.replace_self(node.children)
            continue
        classes = ["portfolio-paper-link", *node.get("classes", [])]
        ref = nodes.reference("", "", *node.children, refuri=uri, internal=True, classes=classes)
        node.replace_self(ref)


# -- Environment bookkeeping ------------------------------------------


def init_env(app: Sphinx, env, docnames) -> None:
    """Make sure the bookkeeping exists (also on a pickled environment)."""
    if not hasattr(env, "portfolio_paper_docs"):
        env.portfolio_paper_docs = {}
    if not hasattr(env, "portfolio_list_docs"):
        env.portfolio_list_docs = set()


def purge_doc(app: Sphinx, env, docname: str) -> None:
    """Forget what a re-read document recorded."""
    init_env(app, env, None)
    env.portfolio_paper_docs.pop(docname, None)
    env.portfolio_list_docs.discard(docname)


def merge_info(app: Sphinx, env, docnames, other) -> None:
    """Merge bookkeeping from parallel readers."""
    init_env(app, env, None)
    env.portfolio_paper_docs.update(
        {d: k for d, k in other.portfolio_paper_docs.items() if d in docnames}
    )
    env.portfolio_list_docs |= {d for d in other.portfolio_list_docs if d in docnames}


def setup(app: Sphinx) -> dict:
    """Register the publication directives, the role and the link resolution."""
    app.add_node(render.paper_ref)
    app.add_directive("publication-list", PublicationListDirective)
    app.add_directive("paper-header", PaperHeaderDirective)
    app.add_role("paper", PaperRole())
    app.add_transform(PaperTitleTransform)
    app.connect("builder-inited", lambda app: init_env(app, app.env, None))
    app.connect("env-before-read-docs", init_env)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    app.connect("doctree-read", add_notebook_banner)
    app.connect("doctree-resolved", resolve_paper_refs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
