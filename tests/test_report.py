"""The HTML report: self-contained, escapes every text, embeds plotly.js once."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.report import Report


def test_report_escapes_text_and_embeds_plotly_once():
    report = Report("Overview <b>", subtitle="sample v1")
    report.kpis([("Customers", "18,636", "customers in scope")])
    report.figure(go.Figure(go.Bar(x=["<img src=x onerror=alert(1)>"], y=[1])), title="Chart")
    report.figure(go.Figure(go.Bar(x=["b"], y=[2])), title="Second")
    report.table(pd.DataFrame({"name": ["=cmd()", "<script>x</script>"]}), title="Customers")
    report.text("<script>alert('note')</script>", title="Notes")
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;" in page
    assert "'=cmd()" in page
    assert page.count("plotly.js v") == 1  # the library is embedded once, for both charts
    assert "https://cdn" not in page.split("<body>")[1][:200]
    assert page.count('class="plotly-graph-div"') == 2
