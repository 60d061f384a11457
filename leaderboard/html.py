"""One self-contained leaderboard page: inline CSS, JS and SVG; no CDN, no network.

Every table is rendered twice — benchmarks as rows (the paper's layout) and variants as rows — and a
button switches between them. In each benchmark line the best value is bold and the second underlined;
an Average line closes the table. Clicking a header sorts; the URL hash ``#orient=variants&sort=KEY&dir=desc``
does the same on load (how the headless-browser test drives it). Hovering a cell shows its 95% CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np


@dataclass
class Grid:
    title: str
    id: str
    benchmarks: list[str]
    variants: list[str]
    cells: dict[tuple[str, str], dict]  # (variant, benchmark) -> {value, ci_low, ci_high, k, n}
    note: str = ""
    meta: dict = field(default_factory=dict)

    def averages(self) -> dict[str, dict]:
        out = {}
        for v in self.variants:
            vals = [self.cells[v, b]["value"] for b in self.benchmarks if (v, b) in self.cells]
            if vals:
                full = len(vals) == len(self.benchmarks)
                out[v] = {"value": float(np.mean(vals)),
                          "tip": f"mean over {len(vals)} of {len(self.benchmarks)} benchmarks" + ("" if full else " (incomplete)")}
        return out


def _ranks(values: dict[str, float]) -> dict[str, str]:
    """key -> 'best' / 'second' (ties share the mark)."""
    distinct = sorted({round(v, 6) for v in values.values()}, reverse=True)
    marks = {}
    for k, v in values.items():
        if distinct and round(v, 6) == distinct[0]:
            marks[k] = "best"
        elif len(distinct) > 1 and round(v, 6) == distinct[1]:
            marks[k] = "second"
    return marks


def _tip(c: dict) -> str:
    parts = []
    if c.get("ci_low") is not None:
        parts.append(f"95% CI [{c['ci_low']:.2f}, {c['ci_high']:.2f}]")
    if c.get("n") is not None:
        parts.append(f"n={c['n']}")
    if c.get("k") is not None:
        parts.append(f"K={c['k']}")
    return c.get("tip") or "; ".join(parts) or "reported value"


def _td(c: dict | None, mark: str | None) -> str:
    if c is None:
        return '<td data-v="" class="na">–</td>'
    text = f"{c['value']:.2f}"
    text = {"best": f"<b>{text}</b>", "second": f"<u>{text}</u>"}.get(mark or "", text)
    return f'<td data-v="{c["value"]:.6f}" class="{mark or ""}" title="{escape(_tip(c))}">{text}</td>'


def _table(g: Grid, orient: str) -> str:
    avg = g.averages()
    if orient == "benchmarks":
        lines, cols = g.benchmarks, g.variants
        get = {(line, col): g.cells.get((col, line)) for line in lines for col in cols}
        corner = "benchmark"
    else:
        lines, cols = g.variants, g.benchmarks
        get = {(line, col): g.cells.get((line, col)) for line in lines for col in cols}
        corner = "variant"
    # marks are per benchmark: along a row in the paper layout, down a column otherwise
    marks: dict[tuple[str, str], str] = {}
    for b in g.benchmarks:
        for v, m in _ranks({v: g.cells[v, b]["value"] for v in g.variants if (v, b) in g.cells}).items():
            marks[(b, v) if orient == "benchmarks" else (v, b)] = m
    avg_marks = _ranks({v: a["value"] for v, a in avg.items()})
    head = [f'<th data-key="{escape(corner)}" class="label">{escape(corner)}</th>']
    head += [f'<th data-key="{escape(c)}">{escape(c)}</th>' for c in cols]
    body = []
    for line in lines:
        tds = "".join(_td(get[line, c], marks.get((line, c))) for c in cols)
        if orient == "variants":
            tds += _td(avg.get(line), avg_marks.get(line))
        body.append(f'<tr data-key="{escape(line)}"><th>{escape(line)}</th>{tds}</tr>')
    if orient == "variants":
        head.append('<th data-key="Average">Average</th>')
        foot = ""
    else:
        foot = ('<tfoot><tr class="avg" data-key="Average"><th>Average</th>'
                + "".join(_td(avg.get(v), avg_marks.get(v)) for v in cols) + "</tr></tfoot>")
    return (f'<table class="lb" id="{g.id}-{orient}" data-table="{g.id}" data-orient="{orient}">'
            f'<thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody>{foot}</table>')


CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table.lb{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}
.lb th,.lb td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
.lb th:first-child,.lb tbody th{text-align:left}
.lb thead th{cursor:pointer;background:#f4f4f4;user-select:none}
.lb thead th.asc::after{content:" ▲"} .lb thead th.desc::after{content:" ▼"}
.lb tr.avg{border-top:2px solid #888;font-style:italic}
.lb td.na{color:#aaa} .lb td u{text-decoration-thickness:2px}
body.orient-benchmarks table[data-orient=variants]{display:none}
body.orient-variants table[data-orient=benchmarks]{display:none}
section.paper{border:2px dashed #b88;padding:0 1em;background:#fffaf8}
.note{color:#555;font-size:13px} figure{margin:1em 0} svg{max-width:100%;height:auto}
"""

JS = r"""
function sortTable(t, key, dir){
  const ths=[...t.tHead.rows[0].cells]; const i=ths.findIndex(h=>h.dataset.key===key);
  if(i<0) return false;
  const tb=t.tBodies[0]; const rows=[...tb.rows];
  const val=r=>{const c=r.cells[i]; if(i===0) return c.textContent; const v=c.dataset.v; return v===''?NaN:parseFloat(v);};
  rows.sort((a,b)=>{const x=val(a),y=val(b);
    if(typeof x==='string') return dir==='asc'?x.localeCompare(y):y.localeCompare(x);
    if(isNaN(x)) return 1; if(isNaN(y)) return -1; return dir==='asc'?x-y:y-x;});
  rows.forEach(r=>tb.appendChild(r));
  ths.forEach(h=>h.classList.remove('asc','desc')); ths[i].classList.add(dir);
  t.dataset.sorted=key+':'+dir; return true;
}
function setOrient(o){document.body.className='orient-'+o; document.getElementById('orient').textContent=
  o==='benchmarks'?'Show variants as rows':'Show benchmarks as rows';}
document.querySelectorAll('table.lb thead th').forEach(h=>h.addEventListener('click',()=>{
  const t=h.closest('table'); sortTable(t,h.dataset.key,h.classList.contains('desc')?'asc':'desc');}));
document.getElementById('orient').addEventListener('click',()=>setOrient(
  document.body.className==='orient-benchmarks'?'variants':'benchmarks'));
(function(){const p=new URLSearchParams(location.hash.slice(1)); setOrient(p.get('orient')||'benchmarks');
  const key=p.get('sort'); if(!key) return;
  document.querySelectorAll('table.lb').forEach(t=>{
    if((!p.get('table')||t.dataset.table===p.get('table'))&&t.dataset.orient===document.body.className.slice(7))
      sortTable(t,key,p.get('dir')||'desc');});})();
"""


def _grid_html(g: Grid) -> str:
    note = f'<p class="note">{escape(g.note)}</p>' if g.note else ""
    return f"<h3>{escape(g.title)}</h3>{note}{_table(g, 'benchmarks')}{_table(g, 'variants')}"


def page(measured: list[Grid], paper: list[Grid], plots: dict[str, str], provenance: str) -> str:
    meas = "".join(_grid_html(g) for g in measured) or "<p>No measured results.</p>"
    pap = "".join(_grid_html(g) for g in paper)
    figs = "".join(f"<figure>{svg}<figcaption>{escape(cap)}</figcaption></figure>" for cap, svg in plots.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mixmerge leaderboard</title><style>{CSS}</style></head>
<body class="orient-benchmarks">
<h1>mixmerge leaderboard</h1>
<p class="note">{escape(provenance)}</p>
<p><button id="orient" type="button">Show variants as rows</button>
<span class="note">Click a header to sort. Bold = best, underlined = second. Hover a value for its 95% bootstrap CI.</span></p>
<h2>Measured</h2>{meas}
<h2>Plots</h2>{figs or '<p>No plots.</p>'}
<section class="paper"><h2>Reported in the paper (not measured here)</h2>
<p class="note">Figures published with "To Mix or To Merge" (Qwen3-4B-Base, Avg@K in %); rows with source=paper in leaderboard.csv.</p>
{pap}</section>
<script>{JS}</script>
</body></html>
"""
