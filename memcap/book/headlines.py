"""What the book finds, at a glance: each chapter's headline results beside the papers' published values, read from
the ``results.json`` files of one build (``memcap results``; the README's table and the book's "Results at a glance"
page).

A headline is declared once (:data:`HEADLINES`): which chapter, what it measures, how to read it (and its interval,
where the chapter computes one) from the chapter's results, and the published value it compares with. Chapter 7's
comparisons are read from the ``comparison`` table the chapter saves, one row per variant and exposure count, each a
factor of capacity lost as the paper states its Results 5-12: GPT-2's peak R over the variant's (per total parameter
for the mixture of experts), or R without junk data over R with it (``inf`` when R with junk is not above 0).

    >>> saved = {"02_capacity": {"scale": "smoke", "commit": "abc1234", "finished": "2026-12-04T10:00:00+00:00",
    ...                          "results": {"alpha_bits_per_param": 1.09, "alpha_ci": [0.71, 1.47]}}}
    >>> row = table(saved).iloc[0]
    >>> print(row.result, "|", row.ours, row.low, row.high, "|", row.paper, row.paper_source)
    capacity α, fp32 (bits/param; a lower bound) | 1.09 0.71 1.47 | 3.83 Morris et al. 2025, Table 1
    >>> row.scale, row.commit, row.date
    ('smoke', 'abc1234', '2026-12-04')
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from memcap.book.chapters import CHAPTERS, RESULTS_FILE
from memcap.papers import ALLEN_ZHU_LI, MORRIS, Published

MORRIS_NAME, AZL_NAME = "Morris et al. 2025", "Allen-Zhu & Li 2024"
COLUMNS = ["chapter", "result", "ours", "low", "high", "relation", "paper", "paper_source", "scale", "commit", "date",
           "readme"]

# how a published value bounds the quantity, where the paper states a bound or an approximation, not a value
# ("peak R(F) >= 2", "more than 1.5x worse", "about 20x"): shown before the paper's number
RELATIONS = {
    "peak_R_1000_exposures": "≥", "peak_R_100_exposures": "≥", "double_descent_ratio": "≈", "no_mlp_loss_100": ">",
    "llama_loss_100": "≤", "quarter_mlp_loss_100": "≈", "architecture_loss_1000": "≈", "moe_loss_1000": "≈",
    "moe_loss_100": "≈", "junk_loss_100": "≈", "junk_loss_300": "≈", "junk_loss_600": "≈", "junk_loss_1000": "≈",
    "domain_tag_loss_100": "≈", "domain_tag_loss_300": "≈", "repetitive_junk_loss_100": "≈", "int4_kept": "<",
}


class Headline(NamedTuple):
    """One headline result: ``value`` (and ``interval``, a 95 % interval, where the chapter gives one) read from a
    chapter's results, and the published value it is compared with (``paper``: ``(paper's name, Published)``)."""

    chapter: str
    result: str
    value: Callable[[Mapping], float]
    interval: Callable[[Mapping], tuple[float, float]] | None = None
    paper: tuple[str, Published] | None = None
    relation: str = ""  # "≥", ">", "≤", "<", "≈" when the paper states a bound or an approximation (RELATIONS)
    readme: bool = True  # in the README's short table (when the paper gives a value)


def _largest_peak(r: Mapping) -> Mapping:
    return max(r["double_descent"]["peaks"], key=lambda peak: peak["params"])


class Rows(NamedTuple):
    """Headlines that depend on what a chapter ran (its exposure counts, its variants): ``make`` lists them from the
    chapter's results."""

    chapter: str
    make: Callable[[Mapping], list[Headline]]


def _exposure_peak(which: str) -> Rows:
    """Chapter 3's peak R at its higher or lower exposure count, compared with the paper's at the same count."""
    def rows(r: Mapping) -> list[Headline]:
        count = (max if which == "high" else min)(r["exposures"])
        paper = ALLEN_ZHU_LI.get(f"peak_R_{count}_exposures")
        return [Headline("03_knowledge", f"knowledge capacity: peak R(F) at {count} exposures (bits/param)",
                         lambda r: r[f"peak_R_{which}_exposures"], paper=paper and (AZL_NAME, paper),
                         relation=RELATIONS.get(f"peak_R_{count}_exposures", ""))]
    return Rows("03_knowledge", rows)


_BF16_OVER_FP32 = Published(MORRIS["alpha_bf16_mean"].value / MORRIS["alpha_fp32_mean"].value, "Table 1",
                            "ratio of the bf16 and fp32 means")
_INT8_KEPT = Published(1 - ALLEN_ZHU_LI["int8_loss"].value, "Result 8", "int8 after training keeps all")
_INT4_KEPT = Published(1 / ALLEN_ZHU_LI["int4_loss_factor"].value, "Result 8", "int4: more than 2x lower, below this")

HEADLINES: tuple[Headline | Rows, ...] = (
    Headline("02_capacity", "capacity α, fp32 (bits/param; a lower bound)", lambda r: r["alpha_bits_per_param"],
             lambda r: r["alpha_ci"], (MORRIS_NAME, MORRIS["alpha_fp32_mean"])),
    Headline("02_capacity", "exponent k of capacity ∝ P^k (1: linear)", lambda r: r["exponent"],
             lambda r: r["exponent_ci"]),
    Headline("02_capacity", "double descent: test loss peaks at dataset bits / capacity (largest model)",
             lambda r: _largest_peak(r)["peak_ratio"],
             lambda r: (_largest_peak(r)["peak_low"], _largest_peak(r)["peak_high"]),
             (MORRIS_NAME, MORRIS["double_descent_ratio"]), RELATIONS["double_descent_ratio"]),
    _exposure_peak("high"),
    _exposure_peak("low"),
    Headline("04_precision", "capacity α, bf16 (bits/param; a lower bound)", lambda r: r["alpha_by_precision"]["bf16"],
             paper=(MORRIS_NAME, MORRIS["alpha_bf16_mean"])),
    Headline("04_precision", "α bf16 / α fp32", lambda r: r["bf16_over_fp32"], paper=(MORRIS_NAME, _BF16_OVER_FP32)),
    Headline("04_precision", "share kept by int8 round-to-nearest (worst of both set-ups; the paper: GPTQ)",
             lambda r: r["int8_min_retained"], paper=(AZL_NAME, _INT8_KEPT)),
    Headline("04_precision", "share of knowledge kept by int4 GPTQ", lambda r: r["int4_gptq_knowledge_retained"],
             paper=(AZL_NAME, _INT4_KEPT), relation=RELATIONS["int4_kept"]),
    Headline("05_membership", "membership law F1 = ½(1 + c1·σ(c2(x + c3))): span c1", lambda r: r["law"]["c1"],
             lambda r: r["law_ci"]["c1"], (MORRIS_NAME, MORRIS["f1_law_c1"])),
    Headline("05_membership", "membership law: mean absolute F1 error on held-out runs", lambda r: r["heldout_mean_abs_error"]),
    Headline("05_membership", "Spearman ρ of F1 with log2(dataset bits / capacity)", lambda r: r["spearman_f1_x"]),
    Headline("06_text", "real text: Spearman ρ of attack F1 with dataset size", lambda r: r["f1_spearman"]),
    Headline("06_text", "real text: membership law span c1", lambda r: r["law"]["c1"], lambda r: r["law_ci"]["c1"],
             (MORRIS_NAME, MORRIS["f1_law_c1"])),
    Headline("08_attacks", "uniform sequences, smallest set: AUC of the LOSS attack", lambda r: r["loss_auc_smallest"],
             lambda r: tuple(r["loss_auc_smallest_ci"])),
    Headline("08_attacks", "uniform sequences, largest set: AUC of the LOSS attack", lambda r: r["loss_auc_largest"],
             lambda r: tuple(r["loss_auc_largest_ci"])),
    Headline("08_attacks", "uniform sequences: TPR at 1 % FPR, online LiRA over LOSS",
             lambda r: r["lira_over_loss_tpr"]),
)

# chapter 7 saves its comparisons as "<variant>, <count> exp." -> GPT-2's peak R over the variant's (a loss factor,
# as the paper states its results), junk rows as "<set-up>, <count> exp. (no junk: <count>)" -> R_values without
# junk at that count over R_values with it; the paper's value for each, by count
_VARIANTS = {
    "gated MLP vs GPT-2": {100: "llama_loss_100", 1000: "architecture_loss_1000"},
    "MLP/4 vs GPT-2": {100: "quarter_mlp_loss_100", 1000: "architecture_loss_1000"},
    "no MLP vs GPT-2": {100: "no_mlp_loss_100", 1000: "architecture_loss_1000"},
    "MoE per total parameter": {100: "moe_loss_100", 1000: "moe_loss_1000"},
    "random junk": {e: f"junk_loss_{e}" for e in (100, 300, 600, 1000)},
    "junk + domain token": {100: "domain_tag_loss_100", 300: "domain_tag_loss_300"},
    "repetitive junk": {100: "repetitive_junk_loss_100"},
}


def _architecture_rows(r: Mapping) -> list[Headline]:
    rows = []
    for key in r["comparison"]:
        m = re.fullmatch(r"(.+), (\d+) exp\.(?: \(no junk: (\d+)\))?", key)
        if m is None or m[1] not in _VARIANTS:
            continue
        name = _VARIANTS[m[1]].get(int(m[2]), "")
        paper = ALLEN_ZHU_LI.get(name)
        base = ("R of GPT-2 / R" if "junk" not in m[1] else "R without junk / R" if m[3] is None
                else f"R_values without junk at {m[3]} / R_values")
        rows.append(Headline("07_architecture", f"capacity lost, {m[1]}, {m[2]} exposures ({base})",
                             lambda r, key=key: r["comparison"][key], paper=paper and (AZL_NAME, paper),
                             relation=RELATIONS.get(name, "") if paper else "", readme=int(m[2]) == 100))
    return rows


HEADLINES += (Rows("07_architecture", _architecture_rows),)


def load(build_dir: str | Path = "build", scale: str = "default") -> dict[str, dict]:
    """Every chapter's saved ``results.json`` in ``build_dir/scale`` (chapter name -> its contents); chapters
    not run there are left out. A file that is not a chapter's results is an error naming it."""
    root = Path(build_dir) / scale
    found = {}
    for ch in CHAPTERS:
        path = root / ch.name / RESULTS_FILE
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            why = f"{err.msg.removesuffix(' at')}, line {err.lineno} column {err.colno}"
            raise ValueError(f"{path} is not valid JSON ({why}): re-run chapter {ch.name} to write it again") from None
        if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
            raise ValueError(f"{path} holds no chapter results (no 'results' object): re-run chapter {ch.name}")
        found[ch.name] = data
    return found


def _number(value: Any) -> float:
    """A saved number ("inf" and "nan" are saved as text); anything else is NaN."""
    try:
        return float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        return math.nan


def table(saved: Mapping[str, Mapping]):
    """The headline results found in ``saved`` (chapter -> results.json contents, as :func:`load` returns): one row
    per result with ``COLUMNS``. A headline whose chapter saved no value for it (an older build) is left out."""
    import pandas as pd

    rows = []
    for item in HEADLINES:
        data = saved.get(item.chapter)
        if data is None:
            continue
        r = data["results"]
        try:
            headlines = item.make(r) if isinstance(item, Rows) else [item]
        except (KeyError, TypeError, ValueError):
            continue
        for h in headlines:
            try:
                ours = _number(h.value(r))
                low, high = map(_number, h.interval(r)) if h.interval else (math.nan, math.nan)
            except (KeyError, IndexError, TypeError):
                continue
            paper_name, published = h.paper or ("", None)
            rows.append(dict(
                chapter=h.chapter, result=h.result, ours=ours, low=low, high=high,
                relation=h.relation, paper=published.value if published else math.nan,
                paper_source=f"{paper_name}, {published.source}" if published else "",
                scale=data.get("scale", ""), commit=data.get("commit", ""), date=str(data.get("finished", ""))[:10],
                readme=h.readme))
    return pd.DataFrame(rows, columns=COLUMNS)


def _cell(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return f"{value:.3g}"


def _ours(row) -> str:
    return _cell(row.ours) + ("" if math.isnan(row.low) else f" [{_cell(row.low)}, {_cell(row.high)}]")


def _paper(row) -> str:
    return f"{row.relation} {_cell(row.paper)}" if row.relation and not math.isnan(row.paper) else _cell(row.paper)


def markdown(frame) -> str:
    """The table as Markdown: ours with its interval, the paper's value and where it is printed, the build."""
    lines = ["| chapter | result | ours (95 % interval) | paper | where | scale, commit, date |",
             "|---|---|---|---|---|---|"]
    for row in frame.itertuples():
        ours = _ours(row)
        build = ", ".join(v for v in (row.scale, row.commit, row.date) if v)
        lines.append(f"| {row.chapter[:2]} | {row.result} | {ours} | {_paper(row)} | {row.paper_source or '—'} "
                     f"| {build} |")
    return "\n".join(lines) + "\n"


def write(frame, folder: str | Path) -> tuple[Path, Path]:
    """``results.md`` and ``results.csv`` of the table in ``folder``, each written whole or not at all."""
    from memcap.infra.files import write_bytes_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    md, csv = folder / "results.md", folder / "results.csv"
    write_bytes_atomic(md, markdown(frame).encode())
    write_bytes_atomic(csv, frame.to_csv(index=False).encode())
    return md, csv


def capacity_figure(frame, path: str | Path) -> Path:
    """One axis for every capacity in the table (bits per parameter): ours, with its interval where there is one,
    beside the paper's value, saved as an image at ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = frame[frame.result.str.contains("bits/param")].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.5 * max(len(rows), 1)), constrained_layout=True)
    for i, row in rows.iterrows():
        err = None if math.isnan(row.low) else [[row.ours - row.low], [row.high - row.ours]]
        ax.errorbar(row.ours, i, xerr=err, fmt="o", color="tab:blue", capsize=3, label="ours" if i == 0 else None)
        if not math.isnan(row.paper):
            ax.plot(row.paper, i, "x", color="tab:red", ms=9, label="paper" if i == rows.paper.notna().idxmax() else None)
    ax.set_yticks(range(len(rows)), [f"ch. {c[:2]}: {r.split(' (')[0]}" for c, r in zip(rows.chapter, rows.result)])
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("bits per parameter")
    if len(rows):
        ax.legend(loc="lower right", fontsize=8)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def readme_table(frame) -> str:
    """The README's short table: the results that have a published value (chapter 7's at 100 exposures, as the
    paper's Results 5-12 state them), ours with interval beside it."""
    rows = frame[frame.paper.notna() & frame.readme.astype(bool)]
    lines = ["| ch. | result | ours | paper | measured |", "|---|---|---|---|---|"]
    for row in rows.itertuples():
        ours = _ours(row)
        lines.append(f"| {row.chapter[:2]} | {row.result} | {ours} | {_paper(row)} ({row.paper_source}) "
                     f"| {', '.join(v for v in (row.scale, row.date) if v)} |")
    return "\n".join(lines) + "\n"


def update_readme(path: str | Path, frame) -> Path:
    """Replace what lies between the README's results markers with :func:`readme_table` (atomically)."""
    from memcap.infra.files import write_bytes_atomic

    path = Path(path)
    text = path.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{README_START}' ... '{README_END}' block to write the results into")
    text = text[: start + len(README_START)] + "\n" + readme_table(frame) + text[end:]
    write_bytes_atomic(path, text.encode())
    return path
