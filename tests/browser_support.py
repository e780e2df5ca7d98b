"""Helpers for the browser tests and the Lighthouse benchmark.

Three pieces, none of them a test:

- :func:`find_chromium` locates a Chromium executable (Debian's ``chromium`` package;
  Playwright's own browser download is not used);
- :class:`SiteServer` serves a built site over HTTP on loopback, compressing text with
  gzip as Read the Docs does, and records every response it sends (path, status, bytes
  on the wire), so page weight can be checked from the server's side;
- :func:`axe_source` returns axe-core's ``axe.min.js`` from the pinned npm package in
  ``tests/browser/`` (``npm ci --prefix tests/browser``).
"""

from __future__ import annotations

import gzip
import http.server
import io
import os
import shutil
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The npm project that pins axe-core and Lighthouse (``package.json``, ``package-lock.json``).
NODE_DIR = ROOT / "tests" / "browser"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
LIGHTHOUSE_BIN = NODE_DIR / "node_modules" / ".bin" / "lighthouse"

#: Environment variable naming the Chromium executable to drive.
CHROMIUM_ENV = "PORTFOLIO_CHROMIUM"
#: Where Debian, Ubuntu and Google put the browser, in the order they are tried.
CHROMIUM_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)
#: Flags for a headless browser on a closed network, as root, in a container: without the
#: background-networking ones Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
HOW_TO_ENABLE = (
    f"no Chromium found: install it (`apt-get install chromium`) or point {CHROMIUM_ENV} "
    f"at a Chromium/Chrome executable; tried {', '.join(CHROMIUM_PATHS)}"
)


def find_chromium() -> str | None:
    """Return the Chromium executable to use, or None when there is none.

    ``$PORTFOLIO_CHROMIUM`` wins when set (it must then name an executable file); otherwise
    the usual install paths are tried, then ``chromium`` on ``PATH``.
    """
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        path = Path(named)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    for candidate in CHROMIUM_PATHS:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def axe_source() -> str:
    """Return the text of axe-core's ``axe.min.js`` (pinned in ``tests/browser/package.json``).

    Raises
    ------
    FileNotFoundError
        When the npm packages are not installed, with the command that installs them.
    """
    if not AXE_JS.is_file():
        raise FileNotFoundError(
            f"{AXE_JS} is missing: run `npm ci --prefix {NODE_DIR.relative_to(ROOT)}`"
        )
    return AXE_JS.read_text(encoding="utf-8")


# -- The loopback server ----------------------------------------------------------------

#: Content types Read the Docs' CDN compresses; images and fonts are sent as they are
#: (PNG and WOFF2 are compressed formats already).
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "image/svg+xml",
)


@dataclass
class Sent:
    """One response as it went over the wire."""

    path: str
    status: int
    body_bytes: int
    header_bytes: int
    gzip: bool

    @property
    def total(self) -> int:
        """Bytes on the wire for this response: status line, headers and (encoded) body."""
        return self.body_bytes + self.header_bytes


@dataclass
class SiteServer:
    """A built site served over HTTP on 127.0.0.1 from a background thread.

    Use as a context manager; ``url`` is the site root (ends with ``/``), ``log`` the
    responses sent since the last :meth:`clear`.
    """

    root: Path
    gzip_level: int = 6
    log: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._lock = threading.Lock()
        self._gzipped: dict[tuple, bytes] = {}
        server = self

        class Handler(_GzipHandler):
            site = server

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Root address of the site, e.g. ``http://127.0.0.1:40123/``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def clear(self) -> None:
        """Forget the responses logged so far."""
        with self._lock:
            self.log.clear()

    def compressed(self, path: str, body: bytes) -> bytes:
        """The gzip encoding of a file, compressed once and then served from memory.

        A CDN such as Read the Docs' keeps compressed copies too; compressing on every
        request would add server time that Lighthouse counts against the page.
        """
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._gzipped.get(key)
        if cached is None:
            cached = gzip.compress(body, compresslevel=self.gzip_level, mtime=0)
            with self._lock:
                self._gzipped[key] = cached
        return cached

    def record(self, sent: Sent) -> None:
        """Log one response (called from the handler threads)."""
        with self._lock:
            self.log.append(sent)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-encoded when the client accepts it and the type is text."""

    site: SiteServer
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(self.site.root), **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Stay quiet: the server's log is :attr:`SiteServer.log`, not stderr."""

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            # Directory: let the base class redirect to "dir/" or serve index.html.
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()
            index = os.path.join(path, "index.html")
            if not os.path.isfile(index):
                self.send_error(404, "File not found")
                return None
            path = index
        if not os.path.isfile(path):
            self.send_error(404, "File not found")
            return None
        ctype = self.guess_type(path)
        with open(path, "rb") as fh:
            body = fh.read()
        encode = ctype.startswith(COMPRESSIBLE) and "gzip" in self.headers.get(
            "Accept-Encoding", ""
        )
        if encode:
            body = self.site.compressed(path, body)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if encode:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self._pending = Sent(self._clean_path(), 200, len(body), 0, encode)
        return io.BytesIO(body)

    def send_response(self, code, message=None):
        super().send_response(code, message)
        self._status = code

    def end_headers(self):
        self._header_bytes = sum(len(chunk) for chunk in self._headers_buffer) + 2
        super().end_headers()

    def send_error(self, code, message=None, explain=None):
        super().send_error(code, message, explain)
        self.site.record(Sent(self._clean_path(), code, 0, self._header_bytes, False))

    def do_GET(self):
        self._pending = None
        super().do_GET()
        if self._pending is not None:
            self._pending.header_bytes = self._header_bytes
            self.site.record(self._pending)
        elif getattr(self, "_status", 200) in (301, 302):
            self.site.record(Sent(self._clean_path(), self._status, 0, self._header_bytes, False))

    def _clean_path(self) -> str:
        return urllib.parse.unquote(self.path.split("?", 1)[0].split("#", 1)[0])


# -- Pages of a built site -----------------------------------------------------------------

#: Folders of a Sphinx HTML build that hold assets, not pages.
ASSET_DIRS = {"_static", "_images", "_sources", "_downloads", "_sphinx_design_static"}


def site_pages(html: Path) -> list[str]:
    """Every HTML page of a built site, as paths relative to its root, sorted."""
    html = Path(html)
    pages = []
    for path in html.rglob("*.html"):
        rel = path.relative_to(html)
        if rel.parts[0] in ASSET_DIRS:
            continue
        pages.append(rel.as_posix())
    return sorted(pages)


def key_pages(pages: list[str]) -> dict[str, str]:
    """The pages a reviewer looks at first: the home page, one paper page, one notebook.

    The paper page is the first ``publications/*.html`` other than the list (the list
    itself until paper pages exist); the notebook page the first ``notebooks/*.html``
    other than the gallery. Raises ValueError when the site has no home or no notebook.
    """
    if "index.html" not in pages:
        raise ValueError(f"no index.html among the built pages: {pages}")
    papers = [p for p in pages if p.startswith("publications/") and p != "publications/index.html"]
    notebooks = [p for p in pages if p.startswith("notebooks/") and p != "notebooks/index.html"]
    if not notebooks:
        raise ValueError(f"no notebook page among the built pages: {pages}")
    return {
        "home": "index.html",
        "paper": papers[0] if papers else "publications/index.html",
        "notebook": notebooks[0],
    }
