"""Publishing an upload as a new dataset or a new version of one, and the line that says what was published."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.ingest.errors import IngestError
from dashboard.ingest.pipeline import Upload
from dashboard.ingest.report import Report
from dashboard.store import StoreError
from dashboard.ui import auth, cache, frame, state
from dashboard.ui.frame import PageContext
from dashboard.ui.views.data import session


def render_publish(upload: Upload, report: Report, ctx: PageContext) -> None:
    """Publish as a new dataset or a new version (once nothing blocks), or discard the upload."""
    names = ctx.store.dataset_names()
    kinds = ["New version of a dataset", "New dataset"] if names else ["New dataset"]
    kind = st.radio("Publish as", kinds, horizontal=True, key=f"d_target_{session.generation()}")
    if kind == "New dataset":
        dataset = st.text_input(
            "Name of the new dataset", key=f"d_newname_{session.generation()}", max_chars=60, placeholder="e.g. Retail 2011"
        )
    else:
        default = names.index(ctx.dataset) if ctx.dataset in names else 0
        dataset = st.selectbox("Dataset", names, index=default, key=f"d_dataset_{session.generation()}")
    note = st.text_input(
        "Note (optional, shown with the version)", key=f"d_note_{session.generation()}", placeholder="e.g. March extract"
    )
    left, right = st.columns([1, 1])
    go = left.button(
        "Publish", type="primary", disabled=not report.ok, icon=":material/publish:", key=f"d_publish_{session.generation()}"
    )
    if right.button("Discard this upload", icon=":material/delete_sweep:", key=f"d_discard_{session.generation()}"):
        session.discard(upload)
        st.rerun()
    if not report.ok:
        st.caption("Publishing is possible once nothing blocks.")
    if not go or not auth.require(Action.PUBLISH):
        return
    bar = session.ProgressBar("Publishing…")
    try:
        version = upload.publish(dataset or "", note=note, new_dataset=kind == "New dataset", progress=bar)
    except (IngestError, StoreError) as exc:
        bar.done()
        st.error(markdown_text(exc), icon=":material/error:")
        return
    bar.done()
    counts = ", ".join(f"{ctx.number_format.number(n)} {t}" for t, n in version.row_counts.items())
    st.session_state["d_published"] = (
        f"Published {version.dataset} version {version.number}: {counts}. The mapping is saved as a template."
    )
    session.discard(upload)
    cache.clear_caches()
    state.set_value("ds", version.dataset)
    state.clear(frame.FILTER_NAMES)
    st.rerun()


def show_last_publish() -> None:
    """The line saying what the last publish of this session published, with a link to its Overview."""
    message = st.session_state.pop("d_published", None)
    if message:
        st.success(markdown_text(message), icon=":material/check_circle:")
        st.page_link("app.py", label="See the Overview of the new data", icon=":material/dashboard:")
