"""The upload kept in session state (one per browser session, closed after two idle hours), the keys of its widgets,
its progress bar, and the words its sections share."""

from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from dashboard import config
from dashboard.ingest.pipeline import Upload
from dashboard.store import Store

DETECT = "detect"
"""How an automatic choice is shown in a box (the label must not change from run to run: Streamlit matches it)."""


TABLE_TEXT = {
    "customers": ("Customers", "one row per customer, prospects included"),
    "transactions": ("Transactions", "one row per purchase, bill or payment"),
    "interactions": ("Interactions", "one row per touchpoint: call, email, visit, web session..."),
}


IDLE_UPLOADS = timedelta(hours=2)


_UPLOAD_KEY = "d_upload"


@st.cache_resource(show_spinner=False)
def _open_uploads() -> dict[str, tuple[Upload, float]]:
    """Uploads of every session in this process, with when each was last used (idle ones are closed)."""
    return {}


def upload_for(store: Store) -> Upload:
    """This session's upload (made on first use); uploads idle for two hours in any session are closed."""
    registry = _open_uploads()
    now = time.time()
    for token, (other, used) in list(registry.items()):
        if now - used > IDLE_UPLOADS.total_seconds():
            other.close()
            registry.pop(token, None)
    upload = st.session_state.get(_UPLOAD_KEY)
    if upload is None or upload.store is not store or upload.token not in registry:
        upload = Upload(store, config.upload_dir())
        st.session_state[_UPLOAD_KEY] = upload
        st.session_state["d_gen"] = st.session_state.get("d_gen", 0) + 1
    registry[upload.token] = (upload, now)
    return upload


def discard(upload: Upload) -> None:
    """Close this session's upload (its files deleted) and start the next one with fresh widgets."""
    upload.close()
    _open_uploads().pop(upload.token, None)
    st.session_state.pop(_UPLOAD_KEY, None)
    st.session_state["d_gen"] = st.session_state.get("d_gen", 0) + 1
    for key in [k for k in st.session_state if str(k).startswith("d_ids_")]:
        del st.session_state[key]


def generation() -> int:
    """A number in widget keys that changes when a new upload starts, so its widgets start fresh."""
    return st.session_state.get("d_gen", 0)


def widget_key(table: str, name: str) -> str:
    """The key of a table's mapping widget: new with each upload and each renew_mapping_widgets(table)."""
    return f"d_{name}_{table}_{generation()}_{st.session_state.get(f'd_mapgen_{table}', 0)}"


def renew_mapping_widgets(table: str) -> None:
    """Draw a table's mapping widgets afresh on the next run (after the mapping changed under them)."""
    st.session_state[f"d_mapgen_{table}"] = st.session_state.get(f"d_mapgen_{table}", 0) + 1


class ProgressBar:
    """A Streamlit progress bar fed by the ingest library's progress callback (redrawn at most ten times a second)."""

    def __init__(self, text: str) -> None:
        self.bar = st.progress(0.0, text=text)
        self.last = 0.0

    def __call__(self, step: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last >= 0.1 or fraction >= 1:
            self.last = now
            self.bar.progress(max(0.0, min(1.0, fraction)), text=step)

    def done(self) -> None:
        """Remove the bar."""
        self.bar.empty()
