"""The layouts of the SLIDE results: ``bench_slide.py`` and ``bench_slide_curves.py``.

``slide``: one network, several trainers and the ways of predicting with each trained
network: a training table (a row per trainer: seconds and CPU seconds per epoch, speed-up
over the fastest dense trainer, active outputs, P@1, peak memory), a prediction table (a
row per trainer and way: examples per second, P@1, its ratio to exact scoring, classes
scored) and one chart of time, memory and prediction.

``slide-curves``: the same network trained for several epochs on two label laws: per law
a table (a row per trainer: milliseconds per batch, active outputs, P@1 and P@5, seconds
to 95 % of the dense network's best P@1, peak memory) and the profile of one SLIDE step,
then one chart of P@1 against training time, a panel per law.
"""

from __future__ import annotations

from docutils import nodes

from . import charts
from .schema import SLIDE_PREDICTION_WAYS
from .tables import mean, mib, num, provenance_paragraph, table
from .targets import claims_for, value_target

#: The ways a trained SLIDE network predicts, and their legend labels.
SLIDE_WAY_NAMES = {
    "exact": "exact (every class)",
    "lsh": "LSH candidates",
    "lsh_prior": "LSH + prior",
    "prior": "prior only",
}

#: The class of every SLIDE table.
SLIDE = ("portfolio-bench-slide",)

SLIDE_NOTE = (
    "These are committed benchmark results: training the full-size network with every "
    "trainer takes minutes, so it does not run while the site builds."
)


def slide_config_paragraph(config: dict) -> nodes.paragraph:
    """One sentence: the network and the data the trainers shared."""
    text = (
        f"Network: {config['n_features']:,} sparse input features, {config['hidden_size']:,} "
        f"ReLU units, {config['n_classes']:,} softmax outputs; {config['n_train']:,} generated "
        f"training rows, {config['n_test']:,} test rows (also the prediction queries), "
        f"{config['n_epochs']} epochs of batches of {config['batch_size']}."
    )
    return nodes.paragraph(text, text, classes=["portfolio-bench-config"])


def slide_training_table(data: dict) -> nodes.table:
    """Build the training table: per trainer, time per epoch, speed-up, P@1, peak memory."""
    results, summary = data["results"], data["summary"]
    fastest = summary["fastest_dense"]
    dense_s = mean(results[fastest]["epoch_seconds"]) if fastest in results else None
    rows = []
    for name, res in results.items():
        per_epoch = mean(res["epoch_seconds"])
        active = res.get("mean_active")
        # The machine may be shared: the 1-minute load average before and after the trainer.
        load = [res.get("load_average_before"), res.get("load_average_after")]
        rows.append(
            [
                name,
                num(per_epoch, 2),
                num(mean(res["epoch_cpu_seconds"]), 2),
                f"{dense_s / per_epoch:.2f}×" if dense_s else "–",
                "–" if active is None else f"{active:,.0f}",
                num(res["p_at_1"][-1], 3),
                mib(res["peak_rss_bytes"]),
                " → ".join(f"{x[0]:.1f}" for x in load) if all(load) else "–",
            ]
        )
    head = [
        "trainer",
        "s per epoch",
        "CPU s per epoch",
        f"speed-up over {fastest}",
        "mean active outputs",
        "P@1 (last epoch)",
        "peak RSS (MiB)",
        "load average",
    ]
    cpus = data["provenance"]["n_cpus"]
    title = (
        "Training: seconds per epoch, accuracy and peak memory per trainer (load average: the "
        f"machine's 1-minute load before and after the trainer ran, on {cpus} CPUs; above "
        f"{cpus}, other work competed for them)"
    )
    return table(title, head, rows, SLIDE)


def slide_prediction_table(data: dict) -> nodes.table:
    """Build the prediction table: per trainer and way, throughput, P@1, ratio to exact."""
    rows = []
    for name, res in data["results"].items():
        pred = res.get("prediction")
        if not isinstance(pred, dict):
            continue
        exact = pred["exact"]["p_at_1"]
        for way in SLIDE_PREDICTION_WAYS:
            got = pred[way]
            cand = got.get("mean_candidates")
            rows.append(
                [
                    name,
                    SLIDE_WAY_NAMES[way],
                    f"{got['examples_per_s']:,.0f}",
                    num(got["p_at_1"], 3),
                    f"{got['p_at_1'] / exact:.3f}" if exact else "–",
                    f"{data['config']['n_classes']:,}" if way == "exact" else num(cand, 0),
                ]
            )
    head = ["network of", "prediction", "examples / s", "P@1", "× exact P@1", "classes scored"]
    title = "Prediction of the top class: examples per second and P@1 of each way"
    return table(title, head, rows, SLIDE)


def _layout(directive, rel: str, data: dict, note: str, tables: list, figure: tuple) -> list:
    """Provenance, the network, ``tables``, then the chart ``figure`` (tag, draw, alt, caption)."""
    container = nodes.container(classes=["portfolio-bench"])
    container += provenance_paragraph(data["provenance"], note)
    container += slide_config_paragraph(data["config"])
    container.extend(tables)
    if "no-charts" not in directive.options:
        container += charts.chart(directive.env.docname, rel, *figure)
    return [container]


def render_slide(directive, rel: str, data: dict) -> list[nodes.Node]:
    """Lay out a ``slide`` file: provenance, network, training and prediction tables, chart."""
    names = ", ".join(data["results"])
    targets = slide_targets(claims_for(directive.env, rel))
    memory = (
        f", with the {targets['memory_mib'] / 1024:g} GiB target" if "memory_mib" in targets else ""
    )
    lines = [f"{targets['throughput']:,.0f} per second"] if "throughput" in targets else []
    lines += [f"{targets['accuracy']:g}"] if "accuracy" in targets else []
    alt = (
        "Three charts. First: seconds per training epoch of each trainer "
        f"({names}) on a logarithmic axis. Second: peak resident memory of each "
        f"trainer's process{memory}. Third: prediction throughput "
        "(examples per second, logarithmic) against P@1 relative to exact scoring, "
        "one marker per trainer and way of predicting"
        + (
            f", with the {' and '.join(lines)} target{'s' if len(lines) > 1 else ''}."
            if lines
            else "."
        )
    )
    caption = (
        "Training time per epoch (first panel, logarithmic axis), peak memory (second) "
        "and prediction (third: throughput against P@1 relative to exact scoring of the "
        "same network; dashed and dotted lines mark the targets), from the committed "
        "results."
    )
    tables = [slide_training_table(data), slide_prediction_table(data)]
    draw = lambda salt, layout: slide_chart_svg(data, salt, layout, targets)  # noqa: E731
    return _layout(directive, rel, data, SLIDE_NOTE, tables, ("slide", draw, alt, caption))


#: Where the SLIDE chart's target lines come from: the claims whose value is at these places.
SLIDE_TARGETS = {
    "memory_mib": r"results\.slide\.peak_rss_mb",
    "throughput": r"summary\.prediction\.\w+\.lsh\.examples_per_s",
    "accuracy": r"summary\.prediction\.\w+\.lsh\.p_at_1_ratio_vs_exact",
}


def slide_targets(claims) -> dict[str, float]:
    """Return the SLIDE chart's target lines, from the claims file (none without claims)."""
    out = {}
    for name, place in SLIDE_TARGETS.items():
        found = value_target(claims, place)
        if found is not None:
            out[name] = found[1]
    return out


CURVES_PROFILE_PHASES = {
    "hidden": "hidden layer (sparse input × W1)",
    "active_set": "active sets (hash the hidden vectors, read the buckets, add the batch's labels)",
    "forward_backward": "output layer forward and backward over the active sets",
    "adam_output": "Adam on the touched output rows",
    "adam_input": "Adam on the touched input rows",
}
CURVES_NOTE = (
    "These are committed benchmark results: training the full-size network for several "
    "epochs with every trainer takes over an hour, so it does not run while the site builds."
)


def _first_reaching(res: dict, target: float):
    for t, p in zip(res["train_time"], res["p_at_1"], strict=True):
        if p >= target:
            return t
    return None


def curves_table(law: str, entry: dict, n_classes: int) -> nodes.table:
    """Build the table of one law: per trainer cost per batch, active outputs, P@1, P@5, time."""
    results = entry["results"]
    dense_best = max(results["dense"]["p_at_1"])
    rows = []
    for name, res in results.items():
        t = _first_reaching(res, 0.95 * dense_best) if name != "mode" else None
        active = res.get("mean_active")
        rows.append(
            [
                name,
                num(res.get("ms_per_batch"), 0),
                "–" if active is None else f"{active:,.0f} ({active / n_classes:.2%})",
                num(res["p_at_1"][0], 3) if name != "mode" else "–",
                num(max(res["p_at_1"]), 3),
                num(res["p_at_5"][-1], 3),
                "–" if t is None else num(t, 0),
                num(res["train_time"][-1], 0) if name != "mode" else "–",
                mib(res.get("peak_rss_bytes")),
            ]
        )
    head = [
        "trainer",
        "ms per batch",
        "active outputs per example",
        "P@1, first evaluation",
        "best P@1",
        "P@5, last",
        "s to 0.95 × dense's best P@1",
        "training s in all",
        "peak RSS (MiB)",
    ]
    title = (
        f"{law} labels: cost per batch of 128 (training seconds over batches, table refills "
        "included), accuracy on the test rows and time to reach 95 % of the dense network's "
        "best P@1"
    )
    return table(title, head, rows, SLIDE)


def profile_table(entry: dict) -> nodes.table:
    """Build the table of SLIDE's step, phase by phase (median wall ms per profiled batch)."""
    prof = entry["results"]["slide"]["profile"]
    rows = [
        [label, num(1000 * prof[key], 1)]
        for key, label in CURVES_PROFILE_PHASES.items()
        if key in prof
    ]
    rows.append(["one step in all", num(1000 * prof["step_total"], 1)])
    if "refill_every_row_seconds" in prof:
        rows.append(
            [
                "refilling the tables, every neuron rehashed",
                num(1000 * prof["refill_every_row_seconds"], 0),
            ]
        )
    if "distinct_output_rows_per_batch" in prof:
        rows.append(
            [
                "distinct output rows a batch touches",
                f"{prof['distinct_output_rows_per_batch']:,.0f}",
            ]
        )
    title = "Where a SLIDE step goes (median milliseconds per batch of 128)"
    return table(title, ["phase", "ms"], rows, SLIDE)


def render_curves(directive, rel: str, data: dict) -> list[nodes.Node]:
    """Lay out a ``slide-curves`` file: provenance, network, per law two tables, a chart."""
    n_classes = data["config"]["n_classes"]
    tables = []
    for law, entry in data["laws"].items():
        tables += [curves_table(law, entry, n_classes), profile_table(entry)]
    alt = (
        f"One panel per label law ({', '.join(data['laws'])}): test precision at 1 against "
        "training seconds on a logarithmic axis, one line per trainer (dense, SLIDE, random "
        "sampling of as many outputs, the batch's labels only), with a dashed line for "
        "always predicting the most frequent labels."
    )
    caption = (
        "Test P@1 against training time (evaluation excluded), one point per "
        "evaluation, from the committed results; the dashed line is the most frequent "
        "training labels predicted for every row."
    )
    draw = lambda salt, layout: slide_curves_svg(data, salt, layout)  # noqa: E731
    return _layout(directive, rel, data, CURVES_NOTE, tables, ("curves", draw, alt, caption))


# -- The charts ------------------------------------------------------------------------------


def slide_chart_svg(
    data: dict, salt: str, layout: charts.Layout = charts.WIDE, targets: dict | None = None
) -> str:
    """Three panels: seconds per epoch, peak memory (both per trainer), prediction trade-off.

    ``targets`` (:func:`slide_targets`) places the dashed and dotted target lines.
    """
    targets = targets or {}
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter

    results = data["results"]
    names = list(results)
    colors = matplotlib.colormaps["tab10"].colors
    color = {name: colors[i % len(colors)] for i, name in enumerate(names)}
    with matplotlib.rc_context(charts.rc_params(salt, layout)):
        fig, (ax_t, ax_m, ax_p) = charts.new_figure(3, layout, 11.5)
        sep = "\n" if layout.stacked else " "
        ypos = list(range(len(names)))[::-1]
        per_epoch = [mean(results[n]["epoch_seconds"]) for n in names]
        peak = [results[n]["peak_rss_bytes"] / 2**20 for n in names]
        # Time: a dot per trainer on a logarithmic axis, with a stem from the left edge.
        low = min(per_epoch) / 2
        ax_t.hlines(ypos, low, per_epoch, colors=[color[n] for n in names], linewidth=2)
        ax_t.scatter(per_epoch, ypos, color=[color[n] for n in names], zorder=3)
        ax_t.set_xscale("log")
        ax_t.set_xlim(low, max(per_epoch) * 2)
        ax_t.set_xlabel(f"seconds per epoch{sep}(logarithmic)")
        # Memory: bars on a linear axis, with the memory target.
        ax_m.barh(ypos, peak, color=[color[n] for n in names])
        limit = targets.get("memory_mib")
        if limit is not None:
            ax_m.axvline(limit, color="black", linestyle="--", linewidth=1)
            label = f"{limit / 1024:g} GiB target"
            ax_m.text(limit * 0.98, ypos[0] + 0.55, label, ha="right", va="bottom")
        ax_m.set_ylim(-0.6, ypos[0] + 1.5)
        ax_m.set_xlim(0, max(max(peak), limit or 0) * 1.1)
        ax_m.set_xlabel("peak resident memory (MiB)")
        for ax in (ax_t, ax_m):
            ax.set_yticks(ypos, names)
            ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        # Prediction: throughput against P@1 relative to exact scoring, per network and way.
        markers = dict(zip(SLIDE_PREDICTION_WAYS, "osD^", strict=True))
        for name in names:
            pred = results[name].get("prediction")
            if not isinstance(pred, dict):
                continue
            exact = pred["exact"]["p_at_1"] or 1.0
            for way in SLIDE_PREDICTION_WAYS:
                ax_p.plot(
                    [pred[way]["examples_per_s"]],
                    [pred[way]["p_at_1"] / exact],
                    marker=markers[way],
                    color=color[name],
                    linestyle="none",
                    markersize=6,
                    alpha=0.85,
                )
        ax_p.set_xscale("log")
        if "throughput" in targets:
            ax_p.axvline(targets["throughput"], color="black", linestyle="--", linewidth=1)
        if "accuracy" in targets:
            ax_p.axhline(targets["accuracy"], color="black", linestyle=":", linewidth=1)
        ax_p.set_xlabel(f"prediction, examples per second{sep}(logarithmic)")
        ax_p.set_ylabel("P@1 / P@1 of exact scoring")
        ax_p.grid(True, color="#dddddd", linewidth=0.6)
        for ax in (ax_t, ax_p):
            ax.xaxis.set_major_formatter(FuncFormatter(charts.plain))
            ax.xaxis.set_minor_formatter(NullFormatter())
        for ax in (ax_t, ax_m, ax_p):
            charts.style_axes(ax)
        handles = [
            Line2D([], [], marker="s", color=color[n], linestyle="none", label=n) for n in names
        ] + [
            Line2D([], [], marker=markers[w], color="#444444", linestyle="none", label=label)
            for w, label in SLIDE_WAY_NAMES.items()
        ]
        charts.add_legend(fig, layout, handles=handles)
        return charts.svg_text(fig, salt, layout)


#: The trainers of ``bench_slide_curves.py``, in drawing order, and their legend labels.
SLIDE_CURVE_TRAINERS = {
    "dense": "dense",
    "slide": "SLIDE (LSH)",
    "random": "random, as many",
    "in_batch": "in-batch labels only",
}


def slide_curves_svg(data: dict, salt: str, layout: charts.Layout = charts.WIDE) -> str:
    """Draw a panel per label law: test P@1 against training seconds, a line per trainer.

    The ``mode`` result (no training) is a dashed horizontal line.
    """
    import matplotlib
    from matplotlib.ticker import FuncFormatter, NullFormatter

    laws = list(data["laws"])
    colors = matplotlib.colormaps["tab10"].colors
    with matplotlib.rc_context(charts.rc_params(salt, layout)):
        fig, axes = charts.new_figure(len(laws), layout, 4.2 * len(laws) + 1.6)
        for ax, law in zip(axes, laws, strict=True):
            results = data["laws"][law]["results"]
            for i, (name, label) in enumerate(SLIDE_CURVE_TRAINERS.items()):
                res = results.get(name)
                if res is None:
                    continue
                line = ax.plot(
                    res["train_time"],
                    res["p_at_1"],
                    marker=charts.MARKERS[i],
                    color=colors[i],
                    linewidth=1.5,
                    markersize=4,
                )
                if ax is axes[0]:
                    line[0].set_label(label)
            if "mode" in results:
                mode_line = ax.axhline(
                    results["mode"]["p_at_1"][0], color="#444444", linestyle="--", linewidth=1
                )
                if ax is axes[0]:
                    mode_line.set_label("most frequent labels")
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(charts.plain))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("training seconds (logarithmic)")
            ax.set_ylabel("test P@1")
            ax.set_title(f"{law} labels")
            ax.grid(True, color="#dddddd", linewidth=0.6)
            charts.style_axes(ax)
        charts.add_legend(fig, layout)
        return charts.svg_text(fig, salt, layout)
