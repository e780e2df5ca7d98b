"""The data schema on its own: links, dates, strict YAML, error messages (no Sphinx build)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from portfolio.errors import load_yaml, validate_entry
from portfolio.schema import Links, PartialDate, Press, Talk, Update


@pytest.mark.parametrize(
    "link",
    [
        "https://example.org/a.pdf",
        "papers/a.pdf",
        "../notebooks/mach.html",
        "#top",
        "https://www.cs.rice.edu/~as143/",
    ],
)
def test_https_and_relative_links_are_accepted(link):
    assert Links(pdf=link).pdf == link


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "http://www.iitb.ac.in",
        "//evil.example.org/x",
        "java\nscript:alert(1)",
        "vbscript:msgbox",
        "mailto:someone@example.org",
        "https://",
    ],
)
def test_unsafe_or_non_https_links_are_rejected(link):
    with pytest.raises(ValidationError, match="link"):
        Links(pdf=link)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2020, 1, 13), PartialDate(2020, 1, 13)),
        ("2019-12", PartialDate(2019, 12)),
        (2019, PartialDate(2019)),
        ("2020-03-03", PartialDate(2020, 3, 3)),
    ],
)
def test_dates_keep_the_precision_the_source_gives(value, expected):
    talk = Talk(date=value, event="E", kind="invited")
    assert talk.date == expected


@pytest.mark.parametrize("value", ["2019-13-01", "2019-02-30", "13 January", "2020/01/13", "soon"])
def test_a_date_that_is_not_a_date_is_rejected(value):
    with pytest.raises(ValidationError, match="is not a date"):
        Talk(date=value, event="E", kind="invited")


def test_partial_dates_sort_newest_first_with_unknown_day_at_the_period_end():
    dates = [
        PartialDate(2019, 12, 7),
        PartialDate(2019, 12),
        PartialDate(2020, 1, 13),
        PartialDate(2019),
    ]
    ordered = sorted(dates, key=lambda d: d.sort_key, reverse=True)
    assert ordered == [
        PartialDate(2020, 1, 13),
        PartialDate(2019),
        PartialDate(2019, 12),
        PartialDate(2019, 12, 7),
    ]
    assert PartialDate(2019, 12, 7).display(year=False) == "7 December"
    assert PartialDate(2020, 3).display() == "March 2020"


def test_validate_entry_names_the_field_and_suggests_the_intended_one():
    obj, problems = validate_entry(
        Press,
        {"outlet": "X", "title": "T", "url": "https://x.org/", "dat": "2020-01"},
        file="news/news.yaml",
        key="x-2020",
        line=7,
    )
    assert obj is None
    assert [str(p) for p in problems] == [
        "news/news.yaml:7: entry 'x-2020', field 'dat': unknown field (did you mean 'date'?) "
        "[portfolio.unknown_field]"
    ]


def test_unknown_nested_field_is_named_with_its_path():
    _, problems = validate_entry(
        Talk,
        {
            "date": "2020-01-13",
            "event": "E",
            "kind": "invited",
            "links": {"vidoe": "https://x.org/"},
        },
        file="talks/talks.yaml",
        key="t",
        line=1,
    )
    assert [p.field for p in problems] == ["links.vidoe"]
    assert problems[0].message == "unknown field (did you mean 'video'?)"


def test_yaml_with_a_repeated_id_is_refused_naming_both_lines(tmp_path):
    path = tmp_path / "talks.yaml"
    path.write_text("a:\n  event: E\nb:\n  event: F\na:\n  event: G\n")
    data, problems = load_yaml(path, "talks/talks.yaml")
    assert data is None
    assert [str(p) for p in problems] == [
        "talks/talks.yaml:5: entry 'a': duplicate key (first defined on line 1) "
        "[portfolio.duplicate]"
    ]


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "news.yaml"
    path.write_text("updates:\n  a: [unclosed\n")
    _, problems = load_yaml(path, "news/news.yaml")
    assert len(problems) == 1
    assert problems[0].subtype == "syntax"
    assert problems[0].line is not None
    assert str(problems[0]).startswith("news/news.yaml:")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": "2020-03", "event_start": "2020-04-02"}, "is not within the update's date"),
        ({"date": "2020-03", "event_start": "2020-03"}, "must be a day"),
        ({"date": "2020-03-05", "event_start": "2020-03-02"}, "date already gives the day"),
    ],
)
def test_an_event_start_outside_the_updates_period_is_refused(fields, message):
    obj, problems = validate_entry(
        Update, {"text": "We spoke.", **fields}, file="news/news.yaml", key="u", line=3
    )
    assert obj is None
    [problem] = problems
    assert "entry 'u', field 'event_start'" in str(problem) and message in str(problem)


def test_the_feed_day_is_the_day_known_else_the_event_start_else_marked_unknown():
    import datetime as dt

    def day(**fields):
        obj, problems = validate_entry(Update, {"text": "x", **fields}, file="f", key="k", line=1)
        assert problems == []
        return obj.feed_day()

    assert day(date="2020-03-05") == (dt.date(2020, 3, 5), True)
    assert day(date="2020-03", event_start="2020-03-02") == (dt.date(2020, 3, 2), True)
    assert day(date="2019") == (dt.date(2019, 1, 1), False)
