"""The one way the pages write a dataset's settings (save_setting, forget_setting: only on a user's action, after
the role check), the sidebar's settings editors (number format, margin on spend), and stored numbers read safely."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.metrics import money
from dashboard.store import Store
from dashboard.ui import auth, sections


def stored(store: Store, dataset: str, key: str, default: object = None) -> object:
    """The dataset's setting key as saved (default when none is): what every page reads, so What-if and the Story
    see Defection's definition only once it is saved."""
    return store.get_setting(dataset, key, default)


def save_setting(store: Store, dataset: str, key: str, value: object) -> bool:
    """Store value as dataset's setting key when the signed-in user may edit (else one refusal on the page and
    nothing stored); True when stored. Called from a button's or form's callback, never while a page is drawn."""
    if not auth.require(Action.EDIT):
        return False
    store.set_setting(dataset, key, value)
    return True


def forget_setting(store: Store, dataset: str, key: str) -> bool:
    """Remove dataset's setting key (so its default applies) when the user may edit; True when removed."""
    if not auth.require(Action.EDIT):
        return False
    store.delete_setting(dataset, key)
    return True


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
                if save_setting(store, dataset, "number_format", chosen.__dict__):
                    st.rerun()
        st.caption(f"Example: {markdown_text(current.money(1234567.891, 2))} · {markdown_text(current.pct(0.1234))}")


def stored_int(store: Store, dataset: str | None, key: str, default: int, lo: int, hi: int, what: str) -> int:
    """The whole number stored for dataset under key when it is one from lo to hi; else default, with one notice
    saying that the saved value (what) could not be read (a stored value never stops a page)."""
    saved = stored(store, dataset, key, default) if dataset else default
    try:
        number = float(saved)
        if not (number.is_integer() and lo <= number <= hi) or isinstance(saved, bool):
            raise ValueError(saved)
    except (TypeError, ValueError, OverflowError):
        sections.notice("setting", f"{what} ({default} used)")
        return default
    return int(number)


MARGIN_KEY = "money_margin_pct"
"""Session key prefix of the sidebar margin input (followed by the dataset name)."""


def margin_editor(store: Store, dataset: str) -> None:
    """A sidebar form setting the dataset's one margin on spend, read by Funnel, Defection and What-if (money.margin)."""
    margin = money.load_margin(store, dataset)
    key = f"{MARGIN_KEY}_{dataset}"
    with st.sidebar.expander(f"Margin: {margin.pct:g} %", icon=":material/percent:"):
        st.caption(markdown_text(f"{margin.pct:g} %: {margin.source()}."))
        if not auth.can(Action.EDIT):
            return
        with st.form("money_margin_form", border=False):
            st.number_input(
                "Margin on spend (%)",
                min_value=0.1,
                max_value=100.0,
                value=float(round(margin.pct, 2)),
                step=1.0,
                format="%.1f",
                key=key,
                help="Share of what customers spend that is left after the cost of what they bought. Funnel, Defection "
                "and What-if all use it.",
            )
            saved = st.form_submit_button("Save for this dataset", key="money_margin_save")
        if saved and auth.require(Action.EDIT):
            try:
                money.save_margin(store, dataset, float(st.session_state[key]) / 100)
            except (TypeError, ValueError) as exc:
                st.error(markdown_text(str(exc)))
            else:
                st.rerun()
        if margin.saved and st.button("Back to the default", key="money_margin_reset") and auth.require(Action.EDIT):
            money.reset_margin(store, dataset)
            st.session_state.pop(key, None)
            st.rerun()
