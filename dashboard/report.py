"""A self-contained HTML report of what a page shows: KPIs, interactive charts, tables and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard.escape import html_text
from dashboard.export import safe_frame

_STYLE = """
body { font-family: "Source Sans Pro", Arial, sans-serif; color: #1F2937; margin: 2rem auto; max-width: 1200px;
       padding: 0 1.5rem; font-size: 17px; line-height: 1.45; }
h1 { font-size: 2.1rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.5rem; margin-top: 2.2rem; border-bottom: 2px solid #E5E7EB; padding-bottom: 0.3rem; }
.meta { color: #6B7280; margin-bottom: 1.5rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 0.8rem; }
.kpi { border: 1px solid #D1D5DB; border-radius: 0.5rem; padding: 0.8rem 1rem; }
.kpi .label { font-size: 0.95rem; color: #4B5563; }
.kpi .value { font-size: 1.9rem; font-weight: 600; }
.kpi .definition { font-size: 0.8rem; color: #6B7280; margin-top: 0.3rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.95rem; }
th, td { border: 1px solid #E5E7EB; padding: 0.3rem 0.6rem; text-align: right; }
th { background: #F3F4F6; }
td:first-child, th:first-child { text-align: left; }
.note { white-space: pre-wrap; background: #F9FAFB; border-left: 4px solid #0072B2; padding: 0.6rem 1rem; }
.figure { margin: 1rem 0; }
footer { margin-top: 3rem; color: #6B7280; font-size: 0.85rem; }
"""


@dataclass
class Report:
    """What a page showed, in order, ready to be written as one HTML file that needs nothing else."""

    title: str
    subtitle: str = ""
    sections: list[tuple[str, object, str]] = field(default_factory=list)

    def heading(self, text: str) -> None:
        """A section heading."""
        self.sections.append(("heading", text, ""))

    def kpis(self, rows: list[tuple[str, str, str]]) -> None:
        """KPI tiles: (label, formatted value, definition)."""
        self.sections.append(("kpis", rows, ""))

    def figure(self, fig: go.Figure, title: str = "") -> None:
        """An interactive plotly chart."""
        self.sections.append(("figure", fig, title))

    def table(self, frame: pd.DataFrame, title: str = "", max_rows: int = 500) -> None:
        """A data table (the first max_rows rows)."""
        self.sections.append(("table", frame.head(max_rows), title))

    def text(self, body: str, title: str = "") -> None:
        """Plain text such as a note or a formula in words; never interpreted as HTML."""
        self.sections.append(("text", body, title))

    def to_html(self, generated: datetime | None = None) -> str:
        """The whole report as one HTML document; all text escaped, plotly.js embedded once."""
        when = (generated or datetime.now()).strftime("%d %b %Y %H:%M")
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{html_text(self.title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{html_text(self.title)}</h1>",
            f"<div class='meta'>{html_text(self.subtitle)}<br>Generated {html_text(when)} by CX Lens</div>",
        ]
        plotly_js_included = False
        for kind, payload, title in self.sections:
            if title and kind != "heading":
                parts.append(f"<h3>{html_text(title)}</h3>")
            if kind == "heading":
                parts.append(f"<h2>{html_text(str(payload))}</h2>")
            elif kind == "kpis":
                tiles = "".join(
                    "<div class='kpi'>"
                    f"<div class='label'>{html_text(label)}</div>"
                    f"<div class='value'>{html_text(value)}</div>"
                    f"<div class='definition'>{html_text(definition)}</div></div>"
                    for label, value, definition in payload
                )
                parts.append(f"<div class='kpis'>{tiles}</div>")
            elif kind == "figure":
                fig_html = payload.to_html(
                    full_html=False, include_plotlyjs=not plotly_js_included, config={"displaylogo": False}
                )
                plotly_js_included = True
                parts.append(f"<div class='figure'>{fig_html}</div>")
            elif kind == "table":
                parts.append(safe_frame(payload).to_html(index=False, escape=True, border=0, na_rep="—"))
            elif kind == "text":
                parts.append(f"<div class='note'>{html_text(str(payload))}</div>")
        parts.append("<footer>Figures as shown on screen at the time of export; definitions in the CX Lens README.</footer>")
        parts.append("</body></html>")
        return "".join(parts)
