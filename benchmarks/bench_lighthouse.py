"""Lighthouse scores of the built site: one page of every kind (home, lists, paper, notebook).

Serves the built site over HTTP on loopback with gzip (as Read the Docs serves it; the
server of ``tests/browser_support.py``), runs Lighthouse (the npm package pinned in
``tests/browser/package.json``) with Debian's Chromium, mobile preset (Lighthouse's
default: a mid-range phone on a throttled 4G link, simulated), and records the four
category scores per page, the median of ``--runs`` runs by performance score.

Side by side, in the same run, it scores a baseline: a one-page site built with the bare
pydata-sphinx-theme (no extensions, no content beyond a paragraph), and reports each
page's scores as ratios against it and against the targets (performance >= 95,
accessibility, best practices and SEO 100).

Usage::

    .venv/bin/python benchmarks/bench_lighthouse.py            # five pages, 3 runs each
    .venv/bin/python benchmarks/bench_lighthouse.py --only paper --runs 1 --out /tmp/lh.json
    .venv/bin/python benchmarks/bench_lighthouse.py --quick    # home page, 1 run

Needs ``npm ci --prefix tests/browser`` and Chromium (``apt-get install chromium``, or
``$PORTFOLIO_CHROMIUM``). Builds the site into ``_build/html`` first unless it is there
(or ``--html`` names a build). Not a test: nothing here asserts; targets are reported as
met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))  # harness

import harness  # noqa: E402
from browser_support import (  # noqa: E402 - the helper lives beside the browser tests
    CHROMIUM_ARGS,
    HOW_TO_ENABLE,
    LIGHTHOUSE_BIN,
    NODE_DIR,
    SiteServer,
    find_chromium,
    key_pages,
    site_pages,
)

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
    "total-byte-weight",
)
BARE_CONF = """\
project = "Bare theme"
html_theme = "pydata_sphinx_theme"
"""
BARE_INDEX = """\
# Bare theme

One paragraph of text on pydata-sphinx-theme with its default settings, built by
Sphinx with no extension: the baseline the portfolio's pages are scored against.
"""


#: Every kind of page the site has, in the order they are scored.
PAGE_KINDS = ("home", "publications", "paper", "notebook", "gallery")


def every_kind_of_page(pages: list[str]) -> dict[str, str]:
    """One page of each kind: home, publication list, paper page, notebook, notebook gallery.

    The paper and notebook pages are the first of their kind (:func:`key_pages`): the
    SLIDE paper page, the largest with its charts and tables, and the first notebook.
    """
    chosen = key_pages(pages)
    return {
        "home": chosen["home"],
        "publications": "publications/index.html",
        "paper": chosen["paper"],
        "notebook": chosen["notebook"],
        "gallery": "notebooks/index.html",
    }


def provenance(chromium: str, argv: list[str]) -> dict:
    """The run's provenance (:func:`harness.provenance`), with the browser's and tools'."""

    def output(*cmd):
        try:
            return subprocess.run(
                cmd, cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    return harness.provenance(
        "benchmarks/bench_lighthouse.py",
        argv,
        chromium=output(chromium, "--version"),
        node=output("node", "--version"),
        lighthouse=output(str(LIGHTHOUSE_BIN), "--version"),
        load_average_at_start=list(psutil.getloadavg()),
    )


def build(source: Path, out: Path, *extra: str) -> None:
    """Build a Sphinx site strictly (as ``make html`` does), failing loudly."""
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", *extra]
    proc = subprocess.run([*cmd, str(source), str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"building {source} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")


def lighthouse(url: str, chromium: str, workdir: Path) -> dict:
    """One Lighthouse run (mobile preset) on ``url``; returns its JSON report."""
    report = workdir / f"lh-{time.monotonic_ns()}.json"
    cmd = [
        str(LIGHTHOUSE_BIN),
        url,
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        "--no-enable-error-reporting",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
    ]
    env = dict(os.environ, CHROME_PATH=chromium)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not report.is_file():
        sys.exit(f"lighthouse failed on {url} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(report.read_text())
    report.unlink()
    return data


def summarise(data: dict) -> dict:
    """Scores (0-100), key metrics and every audit that cost points, from one report."""
    scores = {c: round(100 * data["categories"][c]["score"]) for c in CATEGORIES}
    metrics = {m: data["audits"][m].get("numericValue") for m in METRICS}
    failing = {}
    for cat in CATEGORIES:
        for ref in data["categories"][cat]["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                failing.setdefault(cat, []).append(
                    {"id": ref["id"], "score": audit["score"], "value": audit.get("displayValue")}
                )
    warnings = data.get("runWarnings", [])
    return {"scores": scores, "metrics": metrics, "failing_audits": failing, "warnings": warnings}


def score_page(url: str, runs: int, chromium: str, workdir: Path) -> dict:
    """``runs`` Lighthouse runs of one page; keeps the median run by performance score."""
    results = [summarise(lighthouse(url, chromium, workdir)) for _ in range(runs)]
    perf = [r["scores"]["performance"] for r in results]
    median = sorted(results, key=lambda r: r["scores"]["performance"])[len(results) // 2]
    return {**median, "performance_runs": perf, "performance_spread": max(perf) - min(perf)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="home page and baseline, one run each")
    p.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (median kept)")
    p.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="built site")
    p.add_argument("--out", type=Path, default=None, help="JSON output path")
    p.add_argument("--only", nargs="+", choices=PAGE_KINDS, help="score only these kinds of page")
    args = p.parse_args(argv)
    runs = 1 if args.quick else args.runs
    out = args.out or ROOT / "benchmarks" / "results" / (
        "lighthouse-quick.json" if args.quick else "lighthouse.json"
    )

    chromium = find_chromium()
    if chromium is None:
        sys.exit(HOW_TO_ENABLE)
    if not LIGHTHOUSE_BIN.exists():
        sys.exit(f"Lighthouse is not installed: run `npm ci --prefix {NODE_DIR.relative_to(ROOT)}`")
    if not (args.html / "index.html").is_file():
        print(f"building the site into {args.html} ...", flush=True)
        build(ROOT, args.html)
    pages = every_kind_of_page(site_pages(args.html))
    if args.only:
        pages = {name: pages[name] for name in args.only}
    elif args.quick:
        pages = {"home": pages["home"]}

    report = {
        "benchmark": "lighthouse",
        "quick": args.quick,
        "config": {
            "preset": "mobile (Lighthouse default: simulated throttling, Moto G Power class)",
            "runs_per_page": runs,
            "served": "http.server on 127.0.0.1, gzip level 6 for text (as Read the Docs)",
            "chromium_flags": list(CHROMIUM_ARGS),
            "pages": pages,
        },
        "provenance": provenance(chromium, sys.argv[1:] if argv is None else argv),
        "targets": TARGETS,
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bare_src, bare_html = tmp / "bare-src", tmp / "bare-html"
        bare_src.mkdir()
        (bare_src / "conf.py").write_text(BARE_CONF)
        (bare_src / "index.md").write_text(BARE_INDEX)
        build(bare_src, bare_html, "-D", "extensions=myst_parser")
        # Side by side: the baseline and the pages in one run, on one loaded machine.
        with SiteServer(bare_html) as bare:
            print("baseline (bare theme) ...", flush=True)
            baseline = score_page(bare.url + "index.html", runs, chromium, tmp)
        results = {}
        with SiteServer(args.html) as site:
            for name, page in pages.items():
                print(f"{name}: {page} ...", flush=True)
                results[name] = {"page": page, **score_page(site.url + page, runs, chromium, tmp)}
    for res in results.values():
        res["ratio_to_baseline"] = {
            c: round(res["scores"][c] / max(baseline["scores"][c], 1), 3) for c in CATEGORIES
        }
        res["meets_target"] = {c: res["scores"][c] >= TARGETS[c] for c in CATEGORIES}
    report["baseline_bare_theme"] = baseline
    report["pages"] = results
    report["all_targets_met"] = all(all(r["meets_target"].values()) for r in results.values())
    report["median_performance"] = statistics.median(
        r["scores"]["performance"] for r in results.values()
    )
    report["wall_seconds"] = round(time.perf_counter() - start, 1)
    # Largest waited-for child: Lighthouse's node process (Chromium's own memory is not in it).
    report["peak_rss_children_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")

    width = max(len(n) for n in results) + 2
    print(f"\n{'page':<{width}}" + "".join(f"{c:>16}" for c in CATEGORIES))
    print(f"{'bare theme':<{width}}" + "".join(f"{baseline['scores'][c]:>16}" for c in CATEGORIES))
    for name, res in results.items():
        cells = "".join(
            f"{res['scores'][c]:>9} ({res['ratio_to_baseline'][c]:.2f})" for c in CATEGORIES
        )
        print(f"{name:<{width}}{cells}")
    print(f"targets met: {report['all_targets_met']}; wrote {out}")


if __name__ == "__main__":
    main()
