"""Launch, download and source buttons on notebook pages and paper pages.

pydata-sphinx-theme has no launch buttons, so this module adds a row of them to every
executed notebook's page (under its title) and to every paper page whose BibTeX entry
names a ``demo`` notebook (under the paper's header card):

- **Binder**: ``<binder>/v2/gh/<owner>/<repo>/<branch>?urlpath=`` the notebook's page in
  Jupyter Notebook with jupytext's factory (``notebooks/<notebook>.md?factory=Jupytext
  Notebook``), so the MyST text notebook opens as a notebook and no other Markdown file
  does. Binder reads ``binder/`` only: ``runtime.txt`` and ``requirements.txt``, which
  includes the root one (its ``-e .`` installs this repository once, editable).
- **Colab**: Colab opens only ``.ipynb`` files that exist in the repository, so each text
  notebook has a committed copy without outputs under ``portfolio_colab_dir``, made by
  ``python -m portfolio.launch`` (a test checks the copies match their sources). The copy
  starts with one setup cell that installs this repository's packages where they are
  missing (Colab), and does nothing elsewhere.
- **Download**: the executed notebook, outputs included, written beside the page
  (``notebooks/<name>.ipynb``) when the build finishes.
- **Source**: the MyST source Sphinx copies to ``_sources/``.

All links are built from ``portfolio_repository_url`` and ``portfolio_repository_branch``
in ``conf.py``.
"""

from __future__ import annotations

import argparse
import html
import runpy
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

from .data import loaded
from .notebooks import outputs_path, records, strip_probe
from .render import relative_uri

logger = logging.getLogger(__name__)

BUTTON = ["sd-sphinx-override", "sd-btn", "sd-text-wrap", "portfolio-launch-btn"]
SETUP_TAG = "colab-setup"


def github_repo(url: str) -> tuple[str, str]:
    """Owner and name of a ``https://github.com/<owner>/<name>`` URL."""
    parts = urlsplit(url)
    path = parts.path.strip("/").removesuffix(".git").split("/")
    if parts.scheme != "https" or parts.netloc != "github.com" or len(path) != 2 or not all(path):
        raise ConfigError(
            f"portfolio_repository_url must be https://github.com/<owner>/<name>, got {url!r}"
        )
    return path[0], path[1]


#: The document factory jupytext's front-end extension adds: a text file as a notebook.
JUPYTEXT_FACTORY = "Jupytext Notebook"


def binder_urlpath(path: str) -> str:
    """Return the server path a Binder link opens: ``path`` as a notebook, in Jupyter Notebook.

    JupyterLab opens a ``.md`` file with the viewer its settings give every Markdown
    file; Jupyter Notebook's document page takes the factory in the address
    (``?factory=``), so the demo notebook opens as a notebook and every other Markdown
    file (the README, the site's pages) keeps opening as text.
    """
    return f"notebooks/{quote(path)}?factory={quote(JUPYTEXT_FACTORY)}"


def binder_url(binder: str, repository: str, branch: str, path: str) -> str:
    """Return a Binder link that opens ``path`` (relative to the repository root) as a notebook."""
    owner, name = github_repo(repository)
    urlpath = quote(binder_urlpath(path), safe="")
    return f"{binder}/v2/gh/{owner}/{name}/{quote(branch, safe='')}?urlpath={urlpath}"


def colab_url(repository: str, branch: str, ipynb_path: str) -> str:
    """Return a Colab link to a committed ``.ipynb`` file of the repository."""
    owner, name = github_repo(repository)
    branch = quote(branch, safe="")
    return (
        f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/{quote(ipynb_path)}"
    )


def colab_path(config, source: str) -> str:
    """Where the committed ``.ipynb`` copy of a notebook source lives."""
    return f"{config.portfolio_colab_dir}/{Path(source).stem}.ipynb"


def _button(
    label: str, uri: str, *, primary: bool = False, internal: bool = False, download: bool = False
):
    classes = [*BUTTON, "sd-btn-primary" if primary else "sd-btn-outline-primary"]
    if download:
        classes.append("portfolio-download")
    return nodes.reference(label, label, refuri=uri, classes=classes, internal=internal)


def launch_row(app: Sphinx, fromdoc: str, notebook_doc: str, source: str) -> nodes.paragraph:
    """Return the four buttons for one notebook, linked from page ``fromdoc``."""
    config = app.config
    repo, branch = config.portfolio_repository_url, config.portfolio_repository_branch
    row = nodes.paragraph(classes=["portfolio-launch"])
    buttons = [
        _button(
            "Launch in Binder",
            binder_url(config.portfolio_binder_url, repo, branch, source),
            primary=True,
        ),
        _button("Open in Colab", colab_url(repo, branch, colab_path(config, source))),
        _button(
            "Download .ipynb",
            relative_uri(app, fromdoc, f"{notebook_doc}.ipynb"),
            internal=True,
            download=True,
        ),
        _button("View source", relative_uri(app, fromdoc, f"_sources/{source}"), internal=True),
    ]
    for index, button in enumerate(buttons):
        if index:
            row += nodes.Text(" ")
        row += button
    return row


def demo_notebooks(app: Sphinx) -> dict[str, str]:
    """Paper key -> demo notebook docname, from the BibTeX file's ``demo`` fields."""
    return loaded(app.env).demos(app.config.portfolio_notebooks_dir)


def add_buttons(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Buttons under a notebook's title, and under a paper header whose paper has a demo."""
    notebooks = records(app.env)
    if docname in notebooks:
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is not None:
            section.insert(1, launch_row(app, docname, docname, notebooks[docname].source))
        return
    demos = demo_notebooks(app)
    for header in list(doctree.findall(nodes.Element)):
        if "portfolio-paper-header" not in header.get("classes", []):
            continue
        demo = demos.get(header.get("portfolio_paper"))
        if demo in notebooks:
            header.parent.insert(
                header.parent.index(header) + 1,
                launch_row(app, docname, demo, notebooks[demo].source),
            )


def _is_generated(node: nodes.Node) -> bool:
    """Tell whether this extension or sphinx-design put the node on the page (buttons, cards)."""
    while node is not None:
        classes = node.get("classes", []) if isinstance(node, nodes.Element) else []
        if any(c.startswith(("portfolio-", "sd-")) for c in classes):
            return True
        node = node.parent
    return False


def page_description(doctree: nodes.document, limit: int = 200) -> str | None:
    """Return the page's first paragraph of prose, cut at a word to ``limit`` characters."""
    for para in doctree.findall(nodes.paragraph):
        if _is_generated(para):
            continue
        text = " ".join(para.astext().split())
        if not text:
            continue
        if len(text) > limit:
            text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
        return text
    return None


def describe_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Describe pages that open with launch buttons by their prose, not the buttons' labels.

    sphinxext-opengraph describes a page by its first text, which on notebook and paper
    pages is the launch row ("Launch in Binder Open in Colab ..."). Runs before it
    (priority 400) and sets both ``og:description`` and ``<meta name="description">``.
    """
    if doctree is None or context.get("meta") is None:
        return
    paragraphs = doctree.findall(nodes.paragraph)
    if not any("portfolio-launch" in p.get("classes", []) for p in paragraphs):
        return
    text = page_description(doctree, getattr(app.config, "ogp_description_length", 200))
    if text is None:
        return
    context["meta"].setdefault("og:description", html.escape(text, quote=True))
    if 'name="description"' not in context.get("metatags", ""):
        tag = f'<meta name="description" content="{html.escape(text, quote=True)}" />\n'
        context["metatags"] = context.get("metatags", "") + tag


def download_notebook(executed: Path) -> nbformat.NotebookNode:
    """Return the executed notebook as readers get it: outputs kept, build machinery removed."""
    notebook = strip_probe(nbformat.read(executed, as_version=4))
    notebook.metadata.pop("jupytext", None)
    return notebook


def write_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Write every executed notebook, with outputs, beside its page."""
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.env.mystnb_config.output_folder)
    for docname in records(app.env):
        executed = outputs_path(folder.joinpath(*f"{docname}.ipynb".split("/")))
        if not executed.is_file():
            logger.warning(
                f"no executed copy of {docname} to offer for download",
                type="portfolio",
                subtype="download",
                location=docname,
            )
            continue
        target = Path(app.outdir).joinpath(*f"{docname}.ipynb".split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(download_notebook(executed), target)


# -- The committed .ipynb copies for Colab -------------------------------------------------


def code_imports(code: str) -> set[str]:
    """Return the top-level modules a piece of Python imports (IPython magics skipped)."""
    return {name.split(".")[0] for name in dotted_imports(code)}


def notebook_imports(notebook: nbformat.NotebookNode) -> list[str]:
    """Return the top-level modules a notebook's code cells import."""
    found: set[str] = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            found |= code_imports(cell.source)
    return sorted(found)


def notebook_code(notebook: nbformat.NotebookNode) -> str:
    """Return the code of every code cell, IPython magics dropped."""
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def dotted_imports(code: str, package: str = "") -> set[str]:
    """Return the dotted modules ``code`` imports; relative ones resolved inside ``package``."""
    import ast

    lines = code.splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if not package:
                    continue  # a relative import outside a known package names nothing
                base = ".".join(filter(None, [package, base]))
            found.add(base)
            # "from rushml import mach" imports the submodule rushml.mach
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m}


def package_imports(root: Path, package: str, used: set[str]) -> set[str]:
    """Return the top-level modules that the modules ``used`` of ``package`` need.

    Follows imports inside the package (its ``__init__`` included, which Python runs
    first) and returns every other module reached, by its top-level name.
    """
    seen: set[str] = set()
    todo = [package, *sorted(used)]
    outside: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        path = Path(root, *parts).with_suffix(".py")
        if not path.is_file():
            path = Path(root, *parts, "__init__.py")
        if not path.is_file():
            continue  # a name imported from a module, not a module
        inside = ".".join(parts if path.name == "__init__.py" else parts[:-1]) or package
        for name in dotted_imports(path.read_text("utf8"), inside):
            if name.split(".")[0] == package:
                todo.append(name)
            else:
                outside.add(name.split(".")[0])
    return outside


def pinned_requirements(path: Path) -> dict[str, str]:
    """Return ``name==version`` lines of a requirements file, by normalised name."""
    pins: dict[str, str] = {}
    for line in path.read_text("utf8").splitlines() if path.is_file() else []:
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            pins[line.split("==")[0].strip().lower().replace("_", "-")] = line
    return pins


def install_plan(
    notebook: nbformat.NotebookNode, repository: str, branch: str, requirements: Path
) -> dict[str, str]:
    """Return module -> what pip installs when it is missing, for one notebook.

    This repository's packages come from the repository itself; every other third-party
    module the notebook imports comes with its pin from ``requirements.txt`` (the same
    version Binder installs). Only the modules the notebook reaches count: those of this
    repository's package that it imports are followed to what they import. ``myst_nb`` is
    never installed: outside a site build ``glue`` has nothing to do, and the setup cell
    stands in for it.
    """
    import contextlib
    import sys
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    own = {"rushml", "portfolio"}
    distributions = packages_distributions()
    pins = pinned_requirements(requirements)
    plan: dict[str, str] = {}
    modules = set(notebook_imports(notebook))
    for package in modules & own:
        # This repository's package declares no dependencies: add what the modules the
        # notebook uses import (followed through the package), not the whole package's.
        used = {m for m in dotted_imports(notebook_code(notebook)) if m.split(".")[0] == package}
        modules |= package_imports(requirements.parent, package, used)
    modules.discard("myst_nb")  # glue() only matters in a site build: the setup cell stubs it
    for module in sorted(modules):
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        if module in own:
            if module == "rushml" or module in notebook_imports(notebook):
                plan[module] = f"git+{repository}@{branch}"
            continue
        for dist in distributions.get(module, [module]):
            name = dist.lower().replace("_", "-")
            if name in pins:
                plan[module] = pins[name]
                break
        else:
            # Not pinned in requirements.txt (a test flags that): pin the version in use here.
            for dist in distributions.get(module, []):
                with contextlib.suppress(PackageNotFoundError):
                    plan[module] = f"{dist.lower().replace('_', '-')}=={version(dist)}"
                    break
    return plan


def setup_cell(plan: dict[str, str]) -> nbformat.NotebookNode:
    """Return the first cell of a Colab copy: it installs what the notebook needs if missing."""
    wanted = ",\n".join(f"    {module!r}: {requirement!r}" for module, requirement in plan.items())
    code = (
        "# Colab, or any Python without this site's packages: install what this notebook\n"
        "# imports and is missing. (Binder and `pip install -r requirements.txt` have it all.)\n"
        "import importlib.util\n"
        "import sys\n"
        "import types\n"
        "\n"
        f"wanted = {{\n{wanted},\n}}\n"
        "missing = [req for module, req in wanted.items()\n"
        "           if importlib.util.find_spec(module) is None]\n"
        "if missing:\n"
        '    args = " ".join(sorted(set(missing)))\n'
        "    %pip install --quiet $args\n"
        "# glue() hands numbers to the site's pages; outside a site build it has nothing to do.\n"
        'if importlib.util.find_spec("myst_nb") is None:\n'
        '    sys.modules["myst_nb"] = types.ModuleType("myst_nb")\n'
        '    sys.modules["myst_nb"].glue = lambda name, value, display=True: None'
    )
    return nbformat.v4.new_code_cell(code, metadata={"tags": [SETUP_TAG]})


def colab_notebook(
    source: Path, repository: str, branch: str, requirements: Path | None = None
) -> nbformat.NotebookNode:
    """Return the ``.ipynb`` copy of a text notebook: no outputs, a setup cell first."""
    import jupytext

    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    requirements = requirements or source.parent.parent / "requirements.txt"
    notebook.cells.insert(0, setup_cell(install_plan(notebook, repository, branch, requirements)))
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"  # stable ids: the copy is the same on every run
    return notebook


def text_notebooks(srcdir: Path, folder: str = "notebooks") -> list[Path]:
    """Return the MyST text notebooks in a folder."""
    from myst_nb.core.read import is_myst_markdown_notebook

    return sorted(
        p
        for p in Path(srcdir, folder).glob("*.md")
        if is_myst_markdown_notebook(p.read_text("utf8"))
    )


def sync_colab_copies(srcdir: Path, *, check: bool = False) -> list[str]:
    """Write (or with ``check``, only compare) the Colab copies; returns the stale ones."""
    conf = runpy.run_path(str(Path(srcdir, "conf.py")))
    defaults = {
        "portfolio_repository_url": "https://github.com/Tharun24/medini-portfolio",
        "portfolio_repository_branch": "main",
        "portfolio_colab_dir": "notebooks/ipynb",
        "portfolio_notebooks_dir": "notebooks",
    }
    settings = {name: conf.get(name, value) for name, value in defaults.items()}
    stale = []
    out_dir = Path(srcdir, settings["portfolio_colab_dir"])
    sources = text_notebooks(srcdir, settings["portfolio_notebooks_dir"])
    for source in sources:
        notebook = colab_notebook(
            source,
            settings["portfolio_repository_url"],
            settings["portfolio_repository_branch"],
            Path(srcdir, "requirements.txt"),
        )
        text = nbformat.writes(notebook) + "\n"
        target = out_dir / f"{source.stem}.ipynb"
        if not target.is_file() or target.read_text("utf8") != text:
            stale.append(target.relative_to(srcdir).as_posix())
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, "utf8")
    names = {f"{s.stem}.ipynb" for s in sources}
    for orphan in sorted(out_dir.glob("*.ipynb")) if out_dir.is_dir() else []:
        if orphan.name not in names:
            stale.append(orphan.relative_to(srcdir).as_posix())
            if not check:
                orphan.unlink()
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m portfolio.launch [--check]``: refresh the committed Colab copies."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--check", action="store_true", help="only report stale copies (exit 1 if any)"
    )
    parser.add_argument("--srcdir", default=".", type=Path, help="the site's source directory")
    args = parser.parse_args(argv)
    stale = sync_colab_copies(args.srcdir, check=args.check)
    for path in stale:
        print(("stale: " if args.check else "wrote: ") + path)
    return 1 if args.check and stale else 0


def setup(app: Sphinx) -> dict:
    """Register the buttons and the downloads."""
    app.setup_extension("portfolio.notebooks")
    app.connect("doctree-resolved", add_buttons)
    app.connect("build-finished", write_downloads)
    app.connect("html-page-context", describe_page, priority=400)
    app.connect(
        "config-inited",
        lambda app, config: github_repo(config.portfolio_repository_url),
        priority=600,
    )
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
