"""``build(results_dirs, out, ledger)``: leaderboard.csv (long format), leaderboard.html, plots (PNG + SVG)."""

from __future__ import annotations

import csv
import datetime as dt
from html import escape
from pathlib import Path

import numpy as np

from harness.ledger import ratio
from leaderboard import plots
from leaderboard.collect import measured_rows, variant_compute, variant_compute_hours, variant_key
from leaderboard.html import Grid, page
from leaderboard.reference import paper_compute, paper_compute_stages, paper_rows

CSV_HEADER = ["variant", "benchmark", "metric", "value", "ci_low", "ci_high", "k", "n", "source"]


def _fmt(x) -> str:
    if x is None:
        return ""
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_HEADER)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in CSV_HEADER])


def _grid(rows: list[dict], title: str, gid: str, note: str = "", order=None) -> Grid:
    acc = [r for r in rows if r["metric"] == "accuracy"]
    benchmarks = list(dict.fromkeys(r["benchmark"] for r in acc))
    variants = list(dict.fromkeys(r["variant"] for r in acc))
    if order:
        benchmarks.sort()
        variants.sort(key=order)
    cells = {(r["variant"], r["benchmark"]): r for r in acc}
    return Grid(title=title, id=gid, benchmarks=benchmarks, variants=variants, cells=cells, note=note)


def _gpu_hours_table(rows: list[dict]) -> str:
    body = "".join(f"<tr><th>{escape(r['variant'])}</th><td>{r['value']:.1f}</td></tr>" for r in rows)
    return ('<h3>GPU hours (paper)</h3><table class="plain"><thead><tr><th>variant</th><th>GPU hours</th></tr>'
            f"</thead><tbody>{body}</tbody></table>")


def _share(values: dict[str, float] | None) -> str | None:
    r = ratio(values or {})
    return None if r is None else f"rl-multi = {100 * r:.1f}% of the four single-domain runs"


def build(results_dirs: list[Path], out: Path, ledger: dict[str, float] | None = None,
          flops: dict[str, float] | None = None) -> dict:
    """``ledger``: stage -> device-seconds (measured); ``flops``: stage -> FLOPs (counted, ``harness.ledger``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    measured = measured_rows([Path(d) for d in results_dirs])
    paper = paper_rows()
    write_csv(measured + paper, out / "leaderboard.csv")

    mgrid = _grid(measured, "Accuracy (Avg@K, %)", "measured",
                  "Avg@K = mean over problems of the mean correctness of the K samples; CI = 95% bootstrap over problems.",
                  order=variant_key)
    main = _grid([r for r in paper if r["table"] == "main"], "Main results", "paper-main")
    merge = _grid([r for r in paper if r["table"] == "merge"], "Merge methods and MT-OPD", "paper-merge")

    figs: dict[str, str] = {}
    if mgrid.variants:
        figs["Measured accuracy per benchmark with 95% bootstrap CIs (accuracy_by_benchmark.png/.svg)"] = \
            plots.bars_with_ci(mgrid.cells, mgrid.benchmarks, mgrid.variants, out)
    avg = {v: a["value"] for v, a in mgrid.averages().items()}
    hours = variant_compute_hours(ledger or {}, list(avg))
    meas_pts = {v: (hours[v], avg[v]) for v in avg if v in hours}
    pavg = {v: a["value"] for v, a in main.averages().items()}
    paper_pts = {v: (h, pavg[v]) for v, h in paper_compute().items() if v in pavg}
    fl = variant_compute(flops or {}, list(avg))
    count_pts = {v: (fl[v], avg[v]) for v in avg if v in fl}
    notes = {k: n for k, n in (("counted", _share(flops)), ("measured", _share(ledger)),
                               ("paper", _share(paper_compute_stages()))) if n}
    figs["Average accuracy against RL compute: counted FLOPs and measured device-hours of this run, the paper's GPU "
         "hours (a measured time, like device-hours) (accuracy_vs_compute.png/.svg)"] = \
        plots.accuracy_vs_compute(meas_pts, paper_pts, out, counted=count_pts, notes=notes)

    n_res = len({(r["variant"], r["benchmark"]) for r in measured})
    prov = (f"Built {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} from {n_res} measured results in "
            f"{', '.join(str(d) for d in results_dirs) or '(none)'}"
            + (f"; compute ledger of {len(ledger)} stages" if ledger else "; no compute ledger") + ".")
    html = page([mgrid] if mgrid.variants else [], [main, merge], figs, prov)
    html = html.replace("</section>", _gpu_hours_table([r for r in paper if r["metric"] == "gpu_hours"]) + "</section>")
    (out / "leaderboard.html").write_text(html)
    return {"variants": mgrid.variants, "benchmarks": mgrid.benchmarks, "measured_rows": len(measured),
            "paper_rows": len(paper), "average": {v: round(float(x), 4) for v, x in avg.items()},
            "compute_hours": {v: float(np.round(h, 6)) for v, h in hours.items()},
            "compute_flops": {v: float(f) for v, f in fl.items()},
            "multi_over_singles": {"flops": ratio(flops or {}), "device_seconds": ratio(ledger or {}),
                                   "paper_gpu_hours": ratio(paper_compute_stages())},
            "files": sorted(p.name for p in out.iterdir())}
