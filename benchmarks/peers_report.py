"""The peer benchmark's Markdown table: one table per problem, MACH's ratios to the trees."""

from __future__ import annotations

REFERENCE = "omikuji"  # the Parabel-like peer MACH's targets are stated against


def _fmt(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "s":
        return f"{value:.2f}"
    if kind == "p":
        return f"{value:.3f}"
    if kind == "mb":
        return f"{value / 2**20:.1f}"
    return str(value)


def markdown_table(report: dict) -> str:
    """The results as one Markdown table per problem, with the provenance above."""
    prov = report["provenance"]
    lines = [
        "# MACH against the peers",
        "",
        f"Run {prov['date']} on {prov['cpu']} ({prov['n_cpus']} CPUs), "
        f"commit {prov['git_commit'][:12]}"
        + (
            f" plus uncommitted edits to {', '.join(prov['git_dirty'])}."
            if prov.get("git_dirty")
            else "."
        ),
        f"Command: `{prov['command']}`",
        "",
    ]
    for problem in report["problems"]:
        lines += [
            f"## {problem['name']}",
            "",
            f"{problem['description']}",
            "",
            "| method | status | train s | predict ms / 1k | P@1 | P@3 | P@5 "
            "| model MiB | peak RSS MiB | threads (observed) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in problem["methods"]:
            status = r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}"
            status = status.replace("|", "/")
            lines.append(
                f"| {r['method']} | {status} | {_fmt(r['train_s'], 's')} | "
                f"{_fmt(r['predict_ms_per_1k'], 's')} | "
                f"{_fmt(r['p_at_1'], 'p')} | {_fmt(r['p_at_3'], 'p')} | {_fmt(r['p_at_5'], 'p')} | "
                f"{_fmt(r['model_bytes'], 'mb')} | {_fmt(r['peak_rss_bytes'], 'mb')} | "
                f"{r['threads']} ({_fmt(r['threads_observed'], '')}) |"
            )
        lines.append("")
        ref = next((r for r in problem["methods"] if r["method"] == REFERENCE), None)
        for r in problem["methods"]:
            if r["family"] != "mach" or not ref or not r["status"] == ref["status"] == "ok":
                continue
            ratio = {
                f: r[f] / ref[f] for f in ("train_s", "model_bytes", "peak_rss_bytes", "p_at_1")
            }
            lines.append(
                f"- {r['method']} / {REFERENCE}: training time {ratio['train_s']:.2f}x, "
                f"model {ratio['model_bytes']:.2f}x, peak RSS {ratio['peak_rss_bytes']:.2f}x, "
                f"P@1 {ratio['p_at_1']:.2f}x"
            )
        lines.append("")
    return "\n".join(lines)
