"""The validation report: per table rows read, published and rejected, every problem with examples, the rejected rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import export
from dashboard.escape import markdown_text
from dashboard.ingest.errors import IngestError
from dashboard.ingest.pipeline import Upload
from dashboard.ingest.report import BLOCKING, NOTE, WARNING, Problem, Report
from dashboard.ui import widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.views.data import session


def check(upload: Upload) -> Report | None:
    """The validation report for the current files and mapping (checked again only when they changed)."""
    if upload.report is not None:
        return upload.report
    bar = session.ProgressBar("Checking every row…")
    try:
        report = upload.check(progress=bar)
    except IngestError as exc:
        bar.done()
        st.error(markdown_text(exc), icon=":material/error:")
        return None
    bar.done()
    return report


def render_report(upload: Upload, report: Report, ctx: PageContext) -> None:
    """Per table: rows read, published and rejected, then every problem with examples and what to do."""
    counts = report.counts()
    if report.ok:
        st.success(
            f"Nothing blocks publishing · {counts[WARNING]} warning(s) · {counts[NOTE]} note(s). Read them, then publish.",
            icon=":material/check_circle:",
        )
    else:
        st.error(
            f"{counts[BLOCKING]} blocking problem(s): fix them (mapping, formats or files) before publishing.",
            icon=":material/block:",
        )
    fmt = ctx.number_format
    for problem in report.problems:
        _problem(problem)
    for table, table_report in report.tables.items():
        with st.container(border=True):
            st.markdown(f"#### {session.TABLE_TEXT[table][0]}")
            if table_report.files:
                read_tile, publish_tile, rejected_tile, last_tile = st.columns(4)
                read_tile.metric("Rows read", fmt.number(table_report.read), border=False)
                publish_tile.metric("To publish", fmt.number(table_report.published), border=False)
                rejected_tile.metric("Rejected", fmt.number(table_report.rejected), border=False)
                last_tile.metric(
                    "Customers added" if table == "customers" else "Files",
                    fmt.number(table_report.added) if table == "customers" else len(table_report.files),
                )
                balance_mark = "✓" if table_report.balanced else "✗ (please report this)"
                st.caption(
                    f"published + rejected = read: {fmt.number(table_report.published)} + {fmt.number(table_report.rejected)} = "
                    f"{fmt.number(table_report.read)} {balance_mark}"
                )
            elif table_report.added:
                st.metric("Customers built from IDs", fmt.number(table_report.added))
            for problem in table_report.problems:
                _problem(problem)
            if table_report.rejected and table in upload.staged:
                st.download_button(
                    f"Download the {fmt.number(table_report.rejected)} rejected rows (CSV)",
                    data=lambda table=table: export.csv_bytes(upload.rejected(table)),
                    file_name=f"rejected-{table}.csv",
                    mime="text/csv",
                    key=f"d_rej_{table}_{session.generation()}",
                    icon=":material/download:",
                    on_click="ignore",
                )
            preview = upload.preview(table) if table in upload.staged else pd.DataFrame()
            if not preview.empty:
                with st.expander("First rows as they will be published"):
                    widgets.table(preview)


def _problem(problem: Problem) -> None:
    """One problem as an error, warning or note: its message, examples and what to do."""
    show = {BLOCKING: st.error, WARNING: st.warning, NOTE: st.info}[problem.severity]
    icon = {BLOCKING: ":material/block:", WARNING: ":material/warning:", NOTE: ":material/info:"}[problem.severity]
    lines = [problem.message]
    if problem.examples:
        lines.append("Examples: " + "; ".join(e.describe() for e in problem.examples))
    if problem.action and problem.severity != NOTE:
        lines.append(f"What to do: {problem.action}")
    show("  \n".join(markdown_text(line) for line in lines), icon=icon)
