"""The ``benchmark-results`` directive on tiny sites (tests/roots/bench-*) and its schema check."""

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portfolio.benchmarks import (
    KINDS,
    METHOD_FIELDS,
    PROVENANCE_FIELDS,
    BenchmarkResultsError,
    chart_svg,
    load_results,
    validate_curves_results,
    validate_results,
    validate_slide_results,
)
from portfolio.benchmarks.charts import PALETTES

ROOTS = Path(__file__).parent / "roots"
ROOT = Path(__file__).resolve().parents[1]


def build(root: Path, out: Path) -> subprocess.CompletedProcess:
    """Strict HTML build of a test site (same flags as the real site)."""
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q"]
    return subprocess.run(
        [*cmd, str(root), str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def copy_root(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOTS / name, dest)
    return dest


@pytest.fixture(scope="module")
def good_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("bench-good")
    src = base / "src"
    shutil.copytree(ROOTS / "bench-good", src)
    proc = build(src, base / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    soup = BeautifulSoup((base / "html" / "index.html").read_text(), "html.parser")
    return src, base / "html", soup, json.loads((src / "results.json").read_text())


@pytest.fixture()
def good_results():
    return json.loads((ROOTS / "bench-good" / "results.json").read_text())


# -- rendering ------------------------------------------------------------------------------


def test_good_results_render_provenance_from_the_json(good_site):
    _, _, soup, data = good_site
    prov = soup.select_one(".portfolio-bench-provenance").get_text(" ", strip=True)
    assert data["provenance"]["date"] in prov
    assert data["provenance"]["git_commit"][:12] in prov
    assert data["provenance"]["cpu"] in prov
    assert f"numpy {data['provenance']['versions']['numpy']}" in prov
    blas = data["provenance"]["blas"][0]
    assert f"{blas['internal_api']} {blas['version']} ({blas['architecture']})" in prov
    # the command is code: its --flags keep both hyphens
    code = soup.select_one(".portfolio-bench-provenance code").get_text()
    assert code == data["provenance"]["command"] and "--quick" in code


def test_good_results_render_one_table_per_problem_with_a_row_per_method(good_site):
    _, _, soup, data = good_site
    tables = soup.select("table.portfolio-bench-table:not(.portfolio-bench-compare)")
    assert len(tables) == len(data["problems"])
    for table, problem in zip(tables, data["problems"], strict=True):
        assert problem["name"] in table.caption.get_text()
        rows = table.select("tbody tr")
        assert [r.find("td").get_text(strip=True) for r in rows] == [
            m["method"] for m in problem["methods"]
        ]
        for row, method in zip(rows, problem["methods"], strict=True):
            cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
            if method["status"] == "ok":
                assert cells[1] == "ok"
                assert cells[4] == f"{method['p_at_1']:.3f}"
                assert cells[7] == f"{method['model_bytes'] / 2**20:,.1f}"
            else:
                assert cells[1].startswith(method["status"]) and method["reason"] in cells[1]


def _drawings(figure, html: Path) -> dict[str, BeautifulSoup]:
    """Each image of a chart figure: its file (``layout-mode``) parsed as XML."""
    found = {}
    for img in figure.select("img"):
        match = re.search(r"-(wide|narrow)-(light|dark)\.svg$", img["src"])
        assert match, img["src"]
        path = html / img["src"]
        assert path.is_file(), f"chart image {img['src']} not written"
        found[f"{match[1]}-{match[2]}"] = BeautifulSoup(path.read_text(), "xml")
    return found


def test_good_results_draw_memory_and_time_charts_with_alt_text_and_captions(good_site):
    _, html, soup, data = good_site
    figures = soup.select("figure.portfolio-bench-figure")
    assert len(figures) == 2
    names = {m["method"] for p in data["problems"] for m in p["methods"]}
    for figure, word in zip(figures, ("Memory", "Time"), strict=True):
        # Four drawings (two layouts, two colour modes), lazily loaded, each with the alt
        # text; the theme shows the colour mode's (only-light / only-dark).
        images = figure.select("img")
        assert len(images) == 4
        for img in images:
            assert all(name in img["alt"] for name in names)
            assert img["loading"] == "lazy" and int(img["width"]) > 0
            assert any(c in img["class"] for c in ("only-light", "only-dark"))
        assert figure.figcaption.get_text().startswith(word)
        assert "logarithmic" in figure.figcaption.get_text()
        drawings = _drawings(figure, html)
        assert sorted(drawings) == ["narrow-dark", "narrow-light", "wide-dark", "wide-light"]
        for svg in drawings.values():
            # every method is in the legend
            text = svg.get_text(" ")
            assert all(name in text for name in names)
            # every internal reference (clip paths, markers) points at an element
            ids = [tag["id"] for tag in svg.select("[id]")]
            assert len(ids) == len(set(ids))
            refs = re.findall(r'(?:url\(|href=")#([^")]+)', str(svg))
            assert refs and set(refs) <= set(ids)
    # No chart is inline: the page's HTML stays small.
    assert soup.select("figure.portfolio-bench-figure svg") == []


def test_dark_drawings_use_only_dark_mode_colours(good_site):
    _, html, soup, _ = good_site
    figure = soup.select_one("figure.portfolio-bench-figure")
    drawings = _drawings(figure, html)
    for name, svg in drawings.items():
        mode = name.split("-")[1]
        colours = set(re.findall(r"#[0-9a-f]{6}", str(svg)))
        assert colours <= set(PALETTES[mode].values()), (
            name,
            colours - set(PALETTES[mode].values()),
        )
    # The dark drawing has no white face; the light one has.
    assert "#ffffff" not in str(drawings["wide-dark"]) and "#ffffff" in str(drawings["wide-light"])


def test_charts_are_the_same_on_every_build(good_results):
    # same data, same salt -> byte-identical SVG (no dates, no random ids)
    problems = good_results["problems"]
    panels = (("train_s", "training time (s)", 1.0),)
    first = chart_svg(problems, panels, "abc")
    assert first == chart_svg(copy.deepcopy(problems), panels, "abc")
    assert first != chart_svg(problems, panels, "xyz")  # the salt changes the ids


def test_page_is_rebuilt_when_the_results_change(good_site):
    # Runs on the module's built site: an incremental build into the same folders.
    src, html, _, _ = good_site
    data = json.loads((src / "results.json").read_text())
    data["provenance"]["date"] = "2031-01-02T03:04:05+00:00"
    (src / "results.json").write_text(json.dumps(data))
    proc = build(src, html)
    assert proc.returncode == 0, proc.stderr
    assert "2031-01-02T03:04:05+00:00" in (html / "index.html").read_text()


# -- failing builds ---------------------------------------------------------------------------


def test_a_missing_method_field_fails_the_build_naming_file_and_field(tmp_path):
    proc = build(copy_root("bench-missing-field", tmp_path), tmp_path / "html")
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "Benchmark results error" in log
    assert "results.json: problem 'K=10,000', method 'mach-R4-B256': missing field 'p_at_1'" in log


def test_missing_provenance_fails_the_build_naming_file_and_provenance(tmp_path):
    proc = build(copy_root("bench-no-provenance", tmp_path), tmp_path / "html")
    assert proc.returncode != 0
    assert "results.json: missing field 'provenance'" in proc.stdout + proc.stderr


def test_a_missing_results_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(
        BenchmarkResultsError, match=r"^nope\.json: benchmark results file not found"
    ):
        load_results(tmp_path / "nope.json", "nope.json")


def test_a_file_that_is_not_json_is_an_error_naming_it(tmp_path):
    (tmp_path / "r.json").write_text("{not json")
    with pytest.raises(BenchmarkResultsError, match=r"^r\.json: not valid JSON"):
        load_results(tmp_path / "r.json", "r.json")


@pytest.mark.parametrize("kind", [None, "slides", 3])
def test_a_file_of_no_known_kind_is_an_error_naming_the_field(tmp_path, good_results, kind):
    # The layout and the check follow the file's 'benchmark' field; without one, neither can.
    if kind is None:
        del good_results["benchmark"]
    else:
        good_results["benchmark"] = kind
    (tmp_path / "r.json").write_text(json.dumps(good_results))
    with pytest.raises(
        BenchmarkResultsError, match=rf"^r\.json: field 'benchmark' is {kind!r}, not"
    ):
        load_results(tmp_path / "r.json", "r.json")


def test_each_kind_is_checked_by_its_own_schema(tmp_path, good_results):
    # A peers file relabelled as SLIDE results is checked as SLIDE results and fails.
    (tmp_path / "r.json").write_text(json.dumps({**good_results, "benchmark": "slide"}))
    with pytest.raises(BenchmarkResultsError, match="missing field 'config'"):
        load_results(tmp_path / "r.json", "r.json")
    assert load_results(tmp_path / "r.json", "r.json", validate_results) == {
        **good_results,
        "benchmark": "slide",
    }


def test_a_peers_option_on_slide_results_fails_the_build_naming_it(tmp_path):
    src = copy_root("bench-slide", tmp_path)
    page = (
        (src / "index.md")
        .read_text()
        .replace("results.json\n", "results.json\n:compare: slide / dense\n", 1)
    )
    (src / "index.md").write_text(page)
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    assert "results.json: :compare: applies to 'peers' results" in proc.stdout + proc.stderr


# -- the schema check, field by field ----------------------------------------------------------


def test_every_results_schema_is_a_valid_json_schema_and_names_its_fields():
    from jsonschema import Draft202012Validator

    from portfolio.benchmarks.schema import SCHEMAS, schema

    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert names == ["peers", "provenance", "slide", "slide-curves"]
    for name in names:
        Draft202012Validator.check_schema(schema(name))
    assert set(KINDS) == {"peers", "slide", "slide-curves"}
    assert "p_at_1" in METHOD_FIELDS and "git_commit" in PROVENANCE_FIELDS


def test_committed_good_results_are_complete(good_results):
    assert validate_results(good_results, "r.json") == []


@pytest.mark.parametrize("field", METHOD_FIELDS)
def test_each_missing_method_field_is_named(good_results, field):
    del good_results["problems"][0]["methods"][2][field]
    problems = validate_results(good_results, "r.json")
    assert any(p.endswith(f"missing field '{field}'") for p in problems), problems
    assert all(p.startswith("r.json: ") for p in problems)


@pytest.mark.parametrize("field", PROVENANCE_FIELDS)
def test_each_missing_provenance_field_is_named(good_results, field):
    del good_results["provenance"][field]
    assert f"r.json: provenance: missing field '{field}'" in validate_results(
        good_results, "r.json"
    )


@pytest.mark.parametrize("field", ["internal_api", "version", "architecture"])
def test_blas_provenance_must_name_kernel_version_and_architecture(good_results, field):
    del good_results["provenance"]["blas"][0][field]
    assert f"r.json: provenance.blas[0]: missing field '{field}'" in validate_results(
        good_results, "r.json"
    )


def test_empty_provenance_values_are_refused(good_results):
    good_results["provenance"]["git_commit"] = ""
    assert "r.json: provenance: field 'git_commit' is empty" in validate_results(
        good_results, "r.json"
    )


def test_a_finished_method_needs_its_numbers(good_results):
    row = good_results["problems"][0]["methods"][0]
    row["train_s"] = None
    problems = validate_results(good_results, "r.json")
    where = f"r.json: problem 'K=1,000', method '{row['method']}'"
    assert f"{where}: field 'train_s' must be a number, got None" in problems


def test_an_unfinished_method_needs_a_reason_and_a_known_status(good_results):
    bad = copy.deepcopy(good_results)
    bad["problems"][1]["methods"][-1]["reason"] = ""
    assert any("field 'reason' must say why" in p for p in validate_results(bad, "r.json"))
    bad = copy.deepcopy(good_results)
    bad["problems"][0]["methods"][0]["status"] = "great"
    assert any("field 'status' is 'great'" in p for p in validate_results(bad, "r.json"))


def test_no_problems_is_refused(good_results):
    good_results["problems"] = []
    assert "r.json: missing field 'problems' (a non-empty list)" in validate_results(
        good_results, "r.json"
    )


# -- the comparison table ------------------------------------------------------------------------


def test_comparison_ratios_and_verdicts_follow_the_json(good_site):
    _, _, soup, data = good_site
    table = soup.select_one("table.portfolio-bench-compare")
    assert "mach-R4-B256 relative to omikuji" in table.caption.get_text()
    rows = table.select("tbody tr")
    assert len(rows) == len(data["problems"])
    for row, problem in zip(rows, data["problems"], strict=True):
        cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
        by_name = {m["method"]: m for m in problem["methods"]}
        a, b = by_name["mach-R4-B256"], by_name["omikuji"]
        assert cells[0] == problem["name"]
        train, model, p1, p5 = (a[f] / b[f] for f in ("train_s", "model_bytes", "p_at_1", "p_at_5"))
        assert cells[1] == f"{train:.2f}×" and cells[3] == f"{model:.2f}×"
        assert cells[5] == f"{p1:.2f}×" and cells[6] == f"{p5:.2f}×"
        verdict = cells[7]
        assert f"training time ≤ 1: {'holds' if train <= 1 else 'fails'}" in verdict
        assert f"model size ≤ 0.5: {'holds' if model <= 0.5 else 'fails'}" in verdict
        assert f"P@1 ≥ 0.9: {'holds' if p1 >= 0.9 else 'fails'}" in verdict


def test_comparison_with_an_unfinished_method_says_not_measured(good_results):
    from portfolio.benchmarks import comparison_table

    problems = good_results["problems"]  # pecos-xrlinear timed out at K=10,000
    table = comparison_table(problems, "pecos-xrlinear", "omikuji", [("train_s", "<=", 1.0)])
    last = list(table.findall(lambda n: n.tagname == "row"))[-1].astext()
    assert "not measured (pecos-xrlinear: timeout)" in last


def test_comparing_a_method_the_file_lacks_fails_the_build(tmp_path):
    src = copy_root("bench-good", tmp_path)
    page = (src / "index.md").read_text().replace("/ omikuji", "/ parabel")
    (src / "index.md").write_text(page)
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    assert "results.json: :compare: names method 'parabel'" in proc.stdout + proc.stderr


def test_where_keeps_only_the_matching_problems(tmp_path):
    src = copy_root("bench-good", tmp_path)
    page = (src / "index.md").read_text().replace(":compare:", ":where: name=K=1,000\n:compare:")
    (src / "index.md").write_text(page)
    proc = build(src, tmp_path / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    soup = BeautifulSoup((tmp_path / "html" / "index.html").read_text(), "html.parser")
    tables = soup.select("table.portfolio-bench-table:not(.portfolio-bench-compare)")
    assert len(tables) == 1 and "K=1,000" in tables[0].caption.get_text()
    compare = soup.select("table.portfolio-bench-compare tbody tr")
    assert [tr.td.get_text(strip=True) for tr in compare] == ["K=1,000"]
    alts = [img["alt"] for img in soup.select("img")]
    assert alts and all("(1,000)" in alt for alt in alts if "against the number" in alt)


def test_where_that_matches_nothing_fails_the_build(tmp_path):
    src = copy_root("bench-good", tmp_path)
    page = (src / "index.md").read_text().replace(":compare:", ":where: law=topical\n:compare:")
    (src / "index.md").write_text(page)
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    assert "results.json: :where: law=topical matches none of its 2 problems" in (
        proc.stdout + proc.stderr
    )


def test_compare_parses_method_and_reference():
    from portfolio.benchmarks import parse_compare

    assert parse_compare(" mach-R4-B256 / omikuji ") == ("mach-R4-B256", "omikuji")
    with pytest.raises(ValueError, match="expected 'method / reference'"):
        parse_compare("mach-R4-B256")


def test_ratio_targets_come_from_the_claims_turned_to_method_over_reference(tmp_path):
    from portfolio.benchmarks.targets import ratio_targets
    from portfolio.claims import load_benchmark_claims

    src = copy_root("bench-good", tmp_path)
    claims = [c for c, _ in load_benchmark_claims(src / "claims.yaml", src)]
    got = ratio_targets(claims, "mach-R4-B256", "omikuji", "results.json")
    # omikuji / mach >= 2 becomes mach / omikuji <= 0.5; the others stand as written.
    assert got == [("train_s", "<=", 1.0), ("model_bytes", "<=", 0.5), ("p_at_1", ">=", 0.9)]
    assert ratio_targets(claims, "mach-R4-B256", "napkinxc-plt", "results.json") == []


def test_claims_that_give_one_ratio_two_targets_fail_the_build(tmp_path):
    src = copy_root("bench-good", tmp_path)
    text = (src / "claims.yaml").read_text()
    extra = text[text.index("  - id: train-time") : text.index("  - id: model-size")]
    extra = extra.replace("train-time", "train-time-again").replace(
        "[name=K=1,000]", "[name=K=10,000]"
    )
    (src / "claims.yaml").write_text(text + extra.replace('"<= 1"', '"<= 2"'))
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "results.json: the claims give train_s two targets for mach-R4-B256 / omikuji" in log


def test_without_claims_the_comparison_has_no_targets(tmp_path):
    src = copy_root("bench-good", tmp_path)
    (src / "claims.yaml").unlink()
    proc = build(src, tmp_path / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    soup = BeautifulSoup((tmp_path / "html" / "index.html").read_text(), "html.parser")
    table = soup.select_one("table.portfolio-bench-compare")
    assert "targets" not in table.caption.get_text() and len(table.select("th")) == 7


# -- the SLIDE results (benchmark-results of kind slide) ----------------------------------------


@pytest.fixture(scope="module")
def slide_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("bench-slide")
    src = base / "src"
    shutil.copytree(ROOTS / "bench-slide", src)
    proc = build(src, base / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    soup = BeautifulSoup((base / "html" / "index.html").read_text(), "html.parser")
    return soup, json.loads((src / "results.json").read_text()), base / "html"


@pytest.fixture()
def slide_results():
    return json.loads((ROOTS / "bench-slide" / "results.json").read_text())


def test_slide_results_render_provenance_config_and_a_row_per_trainer(slide_site):
    soup, data, _ = slide_site
    prov = soup.select_one(".portfolio-bench-provenance").get_text(" ", strip=True)
    assert data["provenance"]["date"] in prov and data["provenance"]["git_commit"][:12] in prov
    assert "does not run while the site builds" in prov
    assert (
        soup.select_one(".portfolio-bench-provenance code").get_text()
        == (data["provenance"]["command"])
    )
    config = soup.select_one(".portfolio-bench-config").get_text()
    assert f"{data['config']['n_classes']:,} softmax outputs" in config
    training, prediction = soup.select("table.portfolio-bench-slide")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in training.tbody("tr")]
    assert [r[0] for r in rows] == list(data["results"])
    for cells, res in zip(rows, data["results"].values(), strict=True):
        assert cells[5] == f"{res['p_at_1'][-1]:.3f}"
        assert cells[6] == f"{res['peak_rss_bytes'] / 2**20:,.1f}"
        before, after = res["load_average_before"][0], res["load_average_after"][0]
        assert cells[7] == f"{before:.1f} → {after:.1f}"  # how shared the machine was
    # four ways of predicting per trained network, each with its ratio to exact scoring
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in prediction.tbody("tr")]
    assert len(rows) == 4 * sum("prediction" in r for r in data["results"].values())
    lsh = data["results"]["slide"]["prediction"]["lsh"]
    exact = data["results"]["slide"]["prediction"]["exact"]
    row = next(r for r in rows if r[:2] == ["slide", "LSH candidates"])
    assert row[2] == f"{lsh['examples_per_s']:,.0f}"
    assert row[4] == f"{lsh['p_at_1'] / exact['p_at_1']:.3f}"


def test_slide_chart_target_lines_come_from_the_claims(tmp_path, slide_site):
    soup, _, _ = slide_site
    alt = soup.select_one("figure.portfolio-bench-figure img")["alt"]
    assert "with the 4 GiB target" in alt and "with the 2,000 per second and 0.98 targets" in alt
    src = copy_root("bench-slide", tmp_path)
    text = (src / "claims.yaml").read_text()
    (src / "claims.yaml").write_text(text.replace('"<= 4096"', '"<= 2048"'))
    proc = build(src, tmp_path / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = BeautifulSoup((tmp_path / "html" / "index.html").read_text(), "html.parser")
    figure = page.select_one("figure.portfolio-bench-figure")
    assert "with the 2 GiB target" in figure.img["alt"]
    assert all(
        "2 GiB target" in svg.get_text(" ") for svg in _drawings(figure, tmp_path / "html").values()
    )
    (src / "claims.yaml").unlink()  # no claims file: no target lines
    proc = build(src, tmp_path / "bare")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = BeautifulSoup((tmp_path / "bare" / "index.html").read_text(), "html.parser")
    figure = page.select_one("figure.portfolio-bench-figure")
    assert "target" not in figure.img["alt"]
    assert all(
        "target" not in svg.get_text(" ") for svg in _drawings(figure, tmp_path / "bare").values()
    )


def test_slide_results_chart_has_alt_text_caption_and_unique_ids(slide_site):
    soup, data, html = slide_site
    (figure,) = soup.select("figure.portfolio-bench-figure")
    for img in figure.select("img"):
        assert all(name in img["alt"] for name in data["results"])
    for svg in _drawings(figure, html).values():
        assert "4 GiB target" in svg.get_text(" ")
        ids = [tag["id"] for tag in svg.select("[id]")]
        assert len(ids) == len(set(ids))


def test_committed_slide_results_are_complete():
    data = json.loads((ROOT / "benchmarks" / "results" / "slide.json").read_text())
    assert validate_slide_results(data, "slide.json") == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("provenance", "command"), "r.json: provenance: missing field 'command'"),
        (("provenance", "date"), "r.json: provenance: missing field 'date'"),
        (("config", "n_classes"), "r.json: config: missing field 'n_classes'"),
        (
            ("results", "slide", "peak_rss_bytes"),
            "r.json: results.slide: missing field 'peak_rss_bytes'",
        ),
        (("results", "slide", "prediction"), "r.json: results.slide: missing field 'prediction'"),
        (
            ("results", "slide", "prediction", "lsh", "p_at_1"),
            "r.json: results.slide.prediction.lsh: missing field 'p_at_1'",
        ),
        (("results", "dense"), "r.json: results: missing field 'dense' or 'torch'"),
        (("summary", "fastest_dense"), "r.json: summary: missing field 'fastest_dense'"),
        (("provenance",), "r.json: missing field 'provenance'"),
    ],
)
def test_each_missing_slide_field_is_named(slide_results, path, message):
    node = slide_results
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    problems = validate_slide_results(slide_results, "r.json")
    assert any(p.startswith(message) for p in problems), problems


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("results", "slide", "peak_rss_bytes"), "results.slide: missing field 'peak_rss_bytes'"),
        (("provenance", "git_commit"), "results.json: provenance: missing field 'git_commit'"),
    ],
)
def test_slide_results_missing_a_field_or_provenance_fail_the_build(tmp_path, path, message):
    src = copy_root("bench-slide", tmp_path)
    # The directive's own check: with the claims file, its loader refuses the file first.
    (src / "claims.yaml").unlink()
    data = json.loads((src / "results.json").read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    (src / "results.json").write_text(json.dumps(data))
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "Benchmark results error" in log and message in log


# -- SLIDE trained for several epochs (benchmark-results of kind slide-curves) -----------------


@pytest.fixture(scope="module")
def curves_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("bench-curves")
    src = base / "src"
    shutil.copytree(ROOTS / "bench-curves", src)
    proc = build(src, base / "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    soup = BeautifulSoup((base / "html" / "index.html").read_text(), "html.parser")
    return soup, json.loads((src / "results.json").read_text()), base / "html"


@pytest.fixture()
def curves_results():
    return json.loads((ROOTS / "bench-curves" / "results.json").read_text())


def test_curves_render_a_table_and_a_profile_per_law_from_the_json(curves_site):
    soup, data, _ = curves_site
    prov = soup.select_one(".portfolio-bench-provenance").get_text(" ", strip=True)
    assert data["provenance"]["git_commit"][:12] in prov and "over an hour" in prov
    tables = soup.select("table.portfolio-bench-slide")
    assert len(tables) == 2 * len(data["laws"])
    for (law, entry), table, profile in zip(
        data["laws"].items(), tables[::2], tables[1::2], strict=True
    ):
        assert table.caption.get_text().startswith(f"{law} labels")
        rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.tbody("tr")]
        assert [r[0] for r in rows] == list(entry["results"])
        dense_best = max(entry["results"]["dense"]["p_at_1"])
        for cells, res in zip(rows, entry["results"].values(), strict=True):
            assert cells[4] == f"{max(res['p_at_1']):.3f}"
            assert cells[5] == f"{res['p_at_5'][-1]:.3f}"
            points = zip(res["train_time"], res["p_at_1"], strict=True)
            reach = [t for t, p in points if p >= 0.95 * dense_best]
            if cells[0] != "mode":
                assert cells[6] == (f"{reach[0]:,.0f}" if reach else "–")
                assert cells[1] == f"{res['ms_per_batch']:,.0f}"
        prof = entry["results"]["slide"]["profile"]
        cells = {
            tr.find_all("td")[0].get_text(strip=True): tr.find_all("td")[1].get_text(strip=True)
            for tr in profile.tbody("tr")
        }
        assert cells["one step in all"] == f"{1000 * prof['step_total']:,.1f}"


def test_curves_chart_has_a_panel_per_law_alt_text_and_unique_ids(curves_site):
    soup, data, html = curves_site
    (figure,) = soup.select("figure.portfolio-bench-figure")
    for img in figure.select("img"):
        assert all(law in img["alt"] for law in data["laws"])
    for svg in _drawings(figure, html).values():
        text = svg.get_text(" ")
        assert all(f"{law} labels" in text for law in data["laws"])
        assert "most frequent labels" in text
        ids = [tag["id"] for tag in svg.select("[id]")]
        assert len(ids) == len(set(ids))


def test_committed_curves_results_are_complete():
    path = ROOT / "benchmarks" / "results" / "slide-curves.json"
    data = json.loads(path.read_text())
    assert validate_curves_results(data, "slide-curves.json") == []
    assert set(data["laws"]) == {"single", "topical"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ("laws", "single", "results", "slide", "profile"),
            "laws.single.results.slide: missing field 'profile'",
        ),
        (("laws", "single", "results", "dense"), "laws.single.results: missing field 'dense'"),
        (
            ("laws", "topical", "results", "random", "p_at_5"),
            "laws.topical.results.random: missing field 'p_at_5'",
        ),
        (
            ("laws", "topical", "results", "slide", "ms_per_batch"),
            "laws.topical.results.slide: missing field 'ms_per_batch'",
        ),
        (("laws", "topical", "summary"), "laws.topical: missing field 'summary'"),
        (("config", "n_classes"), "config: missing field 'n_classes'"),
        (("provenance", "blas"), "provenance: missing field 'blas'"),
    ],
)
def test_each_missing_curves_field_is_named(curves_results, path, message):
    node = curves_results
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    problems = validate_curves_results(curves_results, "r.json")
    assert any(p.startswith(f"r.json: {message}") for p in problems), problems


def test_curves_lists_of_unequal_length_are_refused(curves_results):
    curves_results["laws"]["single"]["results"]["slide"]["p_at_5"].pop()
    problems = validate_curves_results(curves_results, "r.json")
    assert any("results.slide: fields train_time, p_at_1, p_at_5 differ" in p for p in problems)


def test_curves_results_missing_a_field_fail_the_build_naming_it(tmp_path):
    src = copy_root("bench-curves", tmp_path)
    data = json.loads((src / "results.json").read_text())
    del data["laws"]["single"]["results"]["slide"]["train_time"]
    (src / "results.json").write_text(json.dumps(data))
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "Benchmark results error" in log
    assert "results.json: laws.single.results.slide: missing field 'train_time'" in log
