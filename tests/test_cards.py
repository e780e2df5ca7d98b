"""Paper social cards: the whole title, wrapped to fit, whatever its length."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from portfolio.cards import DPI, HEIGHT, LEFT, RIGHT, TITLE_SIZES, WIDTH, _fit_title, draw_card

TITLES = [
    "SLIDE",
    "SLIDE : In Defense of Smart Algorithms over Hardware Acceleration for Large-Scale Deep "
    "Learning Systems",
    "A Very Long Title " * 12,
    "Supercalifragilisticexpialidociouslylongcompoundwordwithoutanyspace in a title",
]


@pytest.mark.parametrize("title", TITLES)
def test_the_title_is_whole_and_fits_the_column(title):
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    text = _fit_title(fig, title)
    # Nothing cut: the drawn lines are the title's words, in order.
    assert text.get_text().split() == title.split()
    renderer = fig.canvas.get_renderer()
    words_fit = all(len(word) < 40 for word in title.split())
    if words_fit:
        assert text.get_window_extent(renderer).width <= (RIGHT - LEFT) * WIDTH
    if len(title) < 120:
        assert text.get_fontsize() >= TITLE_SIZES[2], "a short title should stay large"


def test_a_card_is_a_1200_by_630_png(tmp_path):
    from PIL import Image

    path = tmp_path / "card.png"
    text = {
        "site": "Site",
        "title": TITLES[1],
        "authors": ["A. Author", "B. Author"],
        "venue": "MLSys 2020",
        "address": "example.org",
    }
    draw_card(text, None, path)
    assert Image.open(path).size == (WIDTH, HEIGHT)
