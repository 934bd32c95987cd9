"""Per-dataset settings: the number format edited from the sidebar, and stored numbers read safely."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.store import Store
from dashboard.ui import auth, sections

SEPARATORS = {"comma (1,234)": ",", "dot (1.234)": ".", "space (1 234)": " ", "apostrophe (1'234)": "'", "none (1234)": ""}
DECIMALS = {"dot (0.5)": ".", "comma (0,5)": ","}


def number_format_editor(store: Store, dataset: str, current: NumberFormat) -> None:
    """A sidebar form choosing the dataset's currency symbol and separators, applied on every page."""
    with st.sidebar.expander("Number format", icon=":material/payments:"):
        with st.form("number_format_form", border=False):
            currency = st.text_input("Currency symbol", value=current.currency, max_chars=4)
            thousands_label = next((k for k, v in SEPARATORS.items() if v == current.thousands), "comma (1,234)")
            decimal_label = next((k for k, v in DECIMALS.items() if v == current.decimal), "dot (0.5)")
            thousands = st.selectbox("Thousands separator", list(SEPARATORS), index=list(SEPARATORS).index(thousands_label))
            decimal = st.selectbox("Decimal separator", list(DECIMALS), index=list(DECIMALS).index(decimal_label))
            saved = st.form_submit_button("Save for this dataset")
        if saved:
            chosen = NumberFormat(currency.strip(), SEPARATORS[thousands], DECIMALS[decimal])
            try:
                chosen.validate()
            except ValueError as exc:
                st.error(str(exc))
            else:
                if auth.require(Action.EDIT):
                    store.set_setting(dataset, "number_format", chosen.__dict__)
                    st.rerun()
        st.caption(f"Example: {markdown_text(current.money(1234567.891, 2))} · {markdown_text(current.pct(0.1234))}")


def stored_int(store: Store, dataset: str | None, key: str, default: int, lo: int, hi: int, what: str) -> int:
    """The whole number stored for dataset under key when it is one from lo to hi; else default, with one notice
    saying that the saved value (what) could not be read (a stored value never stops a page)."""
    stored = store.get_setting(dataset, key, default) if dataset else default
    try:
        number = float(stored)
        if not (number.is_integer() and lo <= number <= hi) or isinstance(stored, bool):
            raise ValueError(stored)
    except (TypeError, ValueError, OverflowError):
        sections.notice("setting", f"{what} ({default} used)")
        return default
    return int(number)
