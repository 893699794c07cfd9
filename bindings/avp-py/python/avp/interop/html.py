"""The HTML matrix: one self-contained page (inline CSS, no script, no external resource) rendered
from the results.json document, so it can be regenerated from any saved run."""

from __future__ import annotations

import html
from collections import OrderedDict
from typing import Any

LABEL = {"pass": "pass", "fail": "FAIL", "unsupported": "unsup.", "skip": "skip", "error": "ERROR"}
TITLES = {
    "scenario": "Scenarios — columns are client+client@server "
    "(alice and carol on the first client, bob on the second)",
    "conformance": "Server conformance (black-box; each row with its level: spec, hardening, extension)",
    "vectors": "Vectors — each client checks every file with its own crypto",
    "observe": "Client traffic judged by observe (client@server)",
}
CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#566;margin-bottom:12px} .meta span{margin-right:18px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;color:#fff}
.ok{background:#1f8a4c} .bad{background:#c0392b}
table{border-collapse:collapse;margin:6px 0 10px} th,td{border:1px solid #d5dae1;padding:3px 6px}
th{background:#f2f4f7;font-weight:600;white-space:nowrap}
th.row{text-align:left;font-family:ui-monospace,monospace;font-weight:500}
td{text-align:center;font-size:12px;font-weight:600;min-width:40px}
td.pass{background:#d4f1df;color:#135c33} td.fail{background:#f9d0cb;color:#8d1f14}
td.error{background:#fdebc8;color:#7a5200} td.unsupported{background:#e3e1f7;color:#3d3580}
td.skip{background:#eceff3;color:#59616d} td.none{background:#fafbfc;color:#aab}
.legend td{min-width:70px} .fail-list{font-family:ui-monospace,monospace;font-size:12px}
.fail-list div{border-left:3px solid #c0392b;padding:4px 8px;margin:6px 0;background:#fdf3f2}
.fail-list div.error{border-color:#d39e00;background:#fffaf0} small{color:#667}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(kind: str, cases: list[dict[str, Any]]) -> str:
    rows = list(OrderedDict.fromkeys(c["id"] for c in cases))
    cols = list(OrderedDict.fromkeys(c["column"] for c in cases))
    cells = {(c["id"], c["column"]): c for c in cases}
    summaries = {c["id"]: c.get("summary", "") for c in cases}
    levels = {c["id"]: c.get("level", "") for c in cases}
    out = [f"<h2>{_e(TITLES.get(kind, kind))}</h2><table><tr><th></th>"]
    # "a+b@server" headers break before the server (and may after "+") so eight columns fit a screen
    out += [f"<th>{_e(col).replace('+', '+<wbr>').replace('@', '<br>@')}</th>" for col in cols]
    out.append("</tr>")
    for row in rows:
        label = f"{_e(row)} <small>{_e(levels[row])}</small>"
        out.append(f'<tr><th class="row" title="{_e(summaries[row])}">{label}</th>')
        for col in cols:
            cell = cells.get((row, col))
            if cell is None:
                out.append('<td class="none" title="not played in this column">&ndash;</td>')
                continue
            tip = cell.get("reason") or ("passed" if cell["outcome"] == "pass" else cell["outcome"])
            if cell.get("step"):
                tip = f"{cell['step']}: expected {cell.get('expected')}; actual {cell.get('actual')}"
            outcome = cell["outcome"]
            out.append(f'<td class="{_e(outcome)}" title="{_e(tip)}">{_e(LABEL.get(outcome, outcome))}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def render(doc: dict[str, Any]) -> str:
    """The page for one results.json document."""
    summary = doc.get("summary", {})
    ok = bool(summary.get("ok"))
    impls = ", ".join(
        f"{i['name']} ({i.get('language')}, {i.get('version')}"
        + ("" if i.get("available", True) else ", UNAVAILABLE")
        + ")"
        for i in doc.get("implementations", [])
    )
    counts = " · ".join(f"{k} {summary.get(k, 0)}" for k in ("pass", "fail", "unsupported", "skip", "error"))
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>AVP interop matrix</title><style>{CSS}</style></head><body>",
        '<h1>AVP interop matrix <span class="badge ' + ("ok" if ok else "bad") + '">',
        ("green" if ok else "failures") + "</span></h1>",
        f'<div class="meta"><span>{_e(doc.get("startedAt", ""))}</span>',
        f"<span>{_e(doc.get('durationSeconds'))} s</span>",
        f"<span>{_e(summary.get('total', 0))} cases: {_e(counts)}</span>",
        f"<span>seed {_e(doc.get('seed'))}</span>",
        f"<span>exit status counts level: {_e(doc.get('level'))}</span></div>",
        f'<div class="meta"><b>{_e(summary.get("line", ""))}</b></div>',
        f'<div class="meta">Implementations: {_e(impls)}</div>',
        '<table class="legend"><tr>',
        *(f'<td class="{k}">{_e(v)}</td>' for k, v in LABEL.items()),
        "</tr></table>",
    ]
    for note in doc.get("notes", []):
        parts.append(f'<div class="meta"><small>{_e(note)}</small></div>')
    cases = doc.get("cases", [])
    for kind in TITLES:
        subset = [c for c in cases if c.get("kind") == kind]
        if subset:
            parts.append(_table(kind, subset))
    findings = summary.get("security", [])
    if findings:
        parts.append('<h2>Security findings</h2><div class="fail-list">')
        parts += [f"<div><b>{_e(f['id'])}</b>: {_e(f['why'])}</div>" for f in findings]
        parts.append("</div>")
    problems = [c for c in cases if c.get("outcome") in ("fail", "error")]
    if problems:
        parts.append('<h2>Failures and errors</h2><div class="fail-list">')
        for c in problems:
            body = (
                f"step {_e(c['step'])}<br>expected: {_e(c.get('expected'))}<br>actual: {_e(c.get('actual'))}"
                if c.get("step")
                else _e(c.get("reason", ""))
            )
            parts.append(
                f'<div class="{_e(c["outcome"])}"><b>{_e(c["id"])}</b> @ {_e(c["column"])} '
                f"[{_e(c['level'])}]<br>{body}</div>"
            )
        parts.append("</div>")
    parts.append(
        "<p><small>Transcripts (secrets redacted): results.json and pairs/*.log "
        "next to this page.</small></p>"
    )
    parts.append("</body></html>\n")
    return "".join(parts)
