"""The Datasets section: every dataset with its versions and source files; upgrade, activate, rename, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import access, contract
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.ingest.report import file_size
from dashboard.store import StoreError, Version
from dashboard.ui import auth, cache, frame, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded


@guarded("Datasets")
def render_datasets(ctx: PageContext) -> None:
    """Every dataset with its versions, source files and row counts; activate, rename and delete with confirmation."""
    _upgrade(ctx)
    datasets = ctx.store.datasets()
    if datasets.empty:
        st.info("No dataset yet: upload files in the Upload section.", icon=":material/inbox:")
        return
    shown = pd.DataFrame(
        {
            "dataset": datasets["name"],
            "active version": datasets["active_number"].astype("Int64"),
            "versions": datasets["versions"],
            "created": pd.to_datetime(datasets["created_at"]).dt.strftime("%d %b %Y %H:%M"),
        }
    )
    widgets.table(shown)
    names = datasets["name"].tolist()
    chosen = state.choice(
        st.selectbox,
        "Dataset",
        "d_manage",
        names,
        ctx.dataset if ctx.dataset in names else names[0],
    )
    if st.session_state.get("_d_manage_shown") not in (None, chosen):
        state.clear(["d_version"])  # version numbers belong to the dataset they were picked in
    st.session_state["_d_manage_shown"] = chosen
    active = ctx.store.active_version(chosen)
    version = _versions(ctx, chosen, active)
    if version.source_files:
        st.caption(f"Source files of version {version.number}")
        widgets.table(_source_files(version, ctx.number_format))
    if ctx.presenting or not auth.can(Action.PUBLISH):
        return
    _dataset_actions(ctx, chosen, version, active)


def _versions(ctx: PageContext, dataset: str, active: Version | None) -> Version:
    """The dataset's versions as a table (active, published, rows per table, files, note) and the one picked below it."""
    versions = ctx.store.versions(dataset)
    rows = []
    for version in versions:
        rows.append(
            {
                "version": version.number,
                "active": "✓" if active and version.version_id == active.version_id else "",
                "published": f"{version.created_at:%d %b %Y %H:%M}",
                **{table: ctx.number_format.number(version.row_counts.get(table, 0)) for table in contract.TABLES},
                "files": len(version.source_files),
                "note": version.note,
            }
        )
    widgets.table(pd.DataFrame(rows))
    numbers = [version.number for version in versions]
    picked = state.choice(
        st.selectbox,
        "Version",
        "d_version",
        numbers,
        numbers[0],
        state.INT,
        format_func=lambda number: f"version {number}",
    )
    return next(version for version in versions if version.number == picked)


def _source_files(version: Version, number_format: NumberFormat) -> pd.DataFrame:
    """The files a version was published from: table, name, size, rows, how each was read, its SHA-256."""
    return pd.DataFrame(
        [
            {
                "table": file.get("table", ""),
                "file": file.get("name", ""),
                "size": file_size(int(file.get("bytes", 0) or 0)),
                "rows": number_format.number(file.get("rows")) if file.get("rows") is not None else "",
                "read as": ", ".join(str(file[key]) for key in ("format", "encoding", "delimiter", "sheet") if file.get(key)),
                "SHA-256": file.get("sha256", ""),
            }
            for file in version.source_files
        ]
    )


def _upgrade(ctx: PageContext) -> None:
    """How many versions have prepared tables of an older schema; for an admin, the button that rebuilds them, with one
    line per version (name, tables, seconds) as each is done."""
    message = st.session_state.pop("d_upgraded", None)
    if message:
        st.success(message, icon=":material/check_circle:")
    stale = ctx.store.out_of_date()
    if not stale:
        return
    st.warning(
        f"{len(stale)} {'versions have' if len(stale) != 1 else 'version has'} prepared tables built by an older CX Lens: their "
        "pages show nothing until they are rebuilt.",
        icon=":material/update:",
    )
    if ctx.presenting or not auth.can(Action.UPGRADE):
        st.caption("An admin can rebuild them here, or run `python -m dashboard upgrade` on the server.")
        return
    pressed = st.button("Upgrade", key="d_upgrade", icon=":material/update:", help="Rebuild the prepared tables")
    if not pressed or not auth.require(Action.UPGRADE):
        return
    bar = st.progress(0.0, text=f"rebuilding {len(stale)} versions…")
    lines = st.container()

    def progress(done, rebuilt: int, total: int) -> None:
        lines.write(markdown_text(f"{done.label}: {done.tables} tables, {done.seconds:.1f} s"))
        bar.progress(rebuilt / total, text=f"{rebuilt} of {total} versions rebuilt")

    try:
        done = ctx.store.upgrade(progress)
    except StoreError as exc:
        st.error(f"Upgrade stopped: {exc}", icon=":material/error:")
        return
    cache.clear_caches()
    said = "; ".join(f"{d.label}: {d.tables} tables, {d.seconds:.1f} s" for d in done)
    st.session_state["d_upgraded"] = markdown_text(f"Rebuilt {len(done)} version{'s' if len(done) != 1 else ''}: {said}.")
    st.rerun()


def _dataset_actions(ctx: PageContext, dataset: str, version: Version, active: Version | None) -> None:
    """Make the version active, delete it or the dataset (after a confirmation), rename the dataset."""
    store = ctx.store
    activate_column, delete_version_column, delete_dataset_column = st.columns(3)
    is_active = active is not None and version.version_id == active.version_id
    activate = activate_column.button(
        f"Make version {version.number} active", disabled=is_active, key="d_activate", icon=":material/check:"
    )
    if activate and auth.require(Action.PUBLISH):
        store.activate(dataset, version.version_id)
        cache.clear_caches()
        st.rerun()
    if not auth.can(Action.DELETE):
        delete_dataset_column.caption(access.refusal(auth.role(), Action.DELETE))
    else:
        if delete_version_column.button(f"Delete version {version.number}…", key="d_delversion", icon=":material/delete:"):
            st.session_state["d_confirm"] = ("version", dataset, version.version_id, version.number)
        if delete_dataset_column.button(
            f"Delete dataset {markdown_text(dataset)}…", key="d_deldataset", icon=":material/delete_forever:"
        ):
            st.session_state["d_confirm"] = ("dataset", dataset, None, len(store.versions(dataset)))
    with st.form("d_rename_form", border=False):
        new_name = st.text_input("New name", value=dataset, key="d_newname", max_chars=60)
        if st.form_submit_button("Rename", icon=":material/edit:") and auth.require(Action.PUBLISH):
            try:
                store.rename_dataset(dataset, new_name)
            except StoreError as exc:
                st.error(markdown_text(exc), icon=":material/error:")
            else:
                if ctx.dataset == dataset:
                    state.set_value("ds", new_name.strip())
                cache.clear_caches()
                st.rerun()
    _confirm_delete(ctx)


def _confirm_delete(ctx: PageContext) -> None:
    """The delete asked for (a version or a whole dataset), done once confirmed."""
    pending = st.session_state.get("d_confirm")
    if not pending:
        return
    what, dataset, version_id, number = pending
    if what == "version":
        text = f"Delete version {number} of {dataset}? Its tables are dropped; this cannot be undone."
    else:
        text = f"Delete the dataset {dataset} with its {number} version(s) and settings? This cannot be undone."
    st.warning(markdown_text(text), icon=":material/warning:")
    yes, no = st.columns(2)
    if yes.button("Yes, delete", type="primary", key="d_confirm_yes", icon=":material/delete_forever:"):
        st.session_state.pop("d_confirm", None)
        if not auth.require(Action.DELETE):
            return
        if what == "version":
            ctx.store.delete_version(version_id)
        else:
            ctx.store.delete_dataset(dataset)
            if ctx.dataset == dataset:
                state.clear(["ds", *frame.FILTER_NAMES])
        cache.clear_caches()
        st.rerun()
    if no.button("Cancel", key="d_confirm_no"):
        st.session_state.pop("d_confirm", None)
        st.rerun()
