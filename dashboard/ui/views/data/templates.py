"""The Templates section: the saved mapping templates, to download or delete."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.access import Action
from dashboard.ingest import templates
from dashboard.ui import auth, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded


@guarded("Mapping templates")
def render_templates(ctx: PageContext) -> None:
    """Saved mapping templates: which table and header each is for, when saved; download or delete."""
    saved = templates.all_templates(ctx.store)
    st.caption(
        "A template is saved at every publish, keyed by the file's header row; when a file with the same header is "
        "uploaded again (next month's extract), its mapping is applied automatically."
    )
    if not saved:
        st.info("No template yet: publish an upload and its mapping is saved here.", icon=":material/bookmarks:")
        return
    widgets.table(
        pd.DataFrame(
            [
                {
                    "template": t.name,
                    "table": t.table,
                    "columns in the header": ", ".join(t.headers[:8]) + (" …" if len(t.headers) > 8 else ""),
                    "mapped": ", ".join(t.mapping.targets()),
                    "saved": f"{t.saved_at:%d %b %Y %H:%M}",
                }
                for t in saved
            ]
        ),
    )
    if ctx.presenting:
        return
    names = {t.key: f"{t.name} ({t.table}, {t.saved_at:%d %b %Y})" for t in saved}
    key = st.selectbox("Template", list(names), format_func=names.get, key="d_template")
    template = next(t for t in saved if t.key == key)
    left, right = st.columns(2)
    left.download_button(
        "Download as a mapping file (JSON)",
        json.dumps({template.table: template.mapping.to_json()}, indent=2, ensure_ascii=False).encode("utf-8"),
        file_name=f"cxlens-mapping-{template.table}.json",
        mime="application/json",
        key="d_template_json",
        icon=":material/data_object:",
        on_click="ignore",
    )
    if not auth.can(Action.EDIT):
        return
    if right.button("Delete this template", key="d_template_delete", icon=":material/delete:") and auth.require(Action.EDIT):
        templates.delete(ctx.store, template.key)
        st.rerun()
