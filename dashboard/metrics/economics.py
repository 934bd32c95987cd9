"""What each relationship stage is worth over a window of months, and the five checks against the window before:
retention up, spend up, referrals up, marketing cost down, direct cost down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from dashboard.metrics import stages
from dashboard.metrics.scope import Filters, month_start
from dashboard.metrics.stages import CODE, DEFAULT_MODEL, StageModel
from dashboard.store import Store, Version

SETTING_CHANNEL_COSTS, SETTING_GROSS_MARGIN = "funnel.channel_costs", "funnel.gross_margin"
WINDOWS = (3, 6, 12)
DEFAULT_GROSS_MARGIN = 0.30
DEFAULT_CHANNEL_COSTS: dict[str, float] = {
    # cost of one touchpoint by channel, used only where a touchpoint carries no cost of its own
    "phone": 13.50,  # a call-centre contact costs $12 to $15
    "ivr": 2.00,
    "web": 0.20,
    "app": 0.10,
    "email": 4.50,
    "chat": 5.00,
    "social": 6.00,
    "store": 21.50,
    "mail": 0.90,
    "field": 115.00,
    "other": 5.00,
}
NOT_CUSTOMERS = (CODE["prospect"], CODE["defected"])


def channel_cost_items(costs: Mapping[str, float] | None = None) -> tuple[tuple[str, float], ...]:
    """Per-channel default costs as a sorted tuple (hashable, for specs): the defaults overridden by costs."""
    merged = dict(DEFAULT_CHANNEL_COSTS)
    for channel, cost in (costs or {}).items():
        merged[str(channel).lower()] = float(cost)
    return tuple(sorted(merged.items()))


def load_channel_costs(store: Store, dataset: str | None) -> tuple[tuple[str, float], ...]:
    """The dataset's saved per-channel default costs (the built-in ones where nothing valid is saved)."""
    saved = store.get_setting(dataset, SETTING_CHANNEL_COSTS, {}) if dataset else {}
    try:
        return validate_channel_costs(channel_cost_items(saved))
    except (ValueError, TypeError, AttributeError):
        return channel_cost_items()


def validate_channel_costs(items: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """items when every cost is a number from 0 to 100,000; ValueError naming the channel otherwise."""
    for channel, cost in items:
        if not isinstance(cost, int | float) or cost != cost or not 0 <= cost <= 100_000:
            raise ValueError(f"the default cost of {channel} must be a number from 0 to 100,000")
    return items


def load_gross_margin(store: Store, dataset: str | None) -> float:
    """The dataset's saved gross margin on spend (share 0 to 1), or the default."""
    value = store.get_setting(dataset, SETTING_GROSS_MARGIN, DEFAULT_GROSS_MARGIN) if dataset else DEFAULT_GROSS_MARGIN
    try:
        value = float(value)
    except (TypeError, ValueError):
        return DEFAULT_GROSS_MARGIN
    return value if 0 <= value <= 1 else DEFAULT_GROSS_MARGIN


@dataclass(frozen=True)
class EconomicsSpec:
    """The stage model, filters, window length in months (ending with the last selected month), gross margin on spend
    and per-channel touchpoint costs used where a touchpoint has none."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    window_months: int = 12
    gross_margin: float = DEFAULT_GROSS_MARGIN
    channel_costs: tuple[tuple[str, float], ...] = channel_cost_items()

    def validate(self) -> EconomicsSpec:
        """Self with model and filters validated; ValueError for a window or margin out of range."""
        if self.window_months not in WINDOWS:
            raise ValueError(f"the window is one of {', '.join(map(str, WINDOWS))} months")
        if not 0 <= self.gross_margin <= 1:
            raise ValueError("the gross margin is a share from 0 to 1")
        validate_channel_costs(self.channel_costs)
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


@dataclass(frozen=True)
class Window:
    """A window of whole months: first day, last day, and the day before it (when its starting stages are taken)."""

    start: date
    end: date

    @property
    def day_before(self) -> date:
        """The day before the window opens."""
        return self.start - timedelta(days=1)

    def label(self) -> str:
        """The window in words, e.g. Jan 2025 to Dec 2025."""
        return f"{self.start:%b %Y} to {self.end:%b %Y}"


def windows(cur: duckdb.DuckDBPyConnection, version: Version, spec: EconomicsSpec) -> tuple[Window, Window, bool]:
    """The current window (window_months ending with the last selected month, or the data's last month), the window
    before it, and whether the data reaches back to the start of the window before."""
    span = stages.span(cur, version)
    end_day = span.data_end or date.today()
    if spec.filters.month_to:
        end_day = min(end_day, stages.month_end(spec.filters.month_to))
    first = _add_months(month_start(end_day), 1 - spec.window_months)
    current = Window(first, end_day)
    previous_start = _add_months(first, -spec.window_months)
    previous = Window(previous_start, current.day_before)
    has_previous = span.data_start is not None and previous_start >= month_start(span.data_start)
    return current, previous, has_previous


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _direct_cost(
    cur: duckdb.DuckDBPyConnection, version: Version, staged_sql: str, params: list, cohort_col: str, window: Window, spec
) -> pd.Series:
    """Touchpoints without a cost, priced at the per-channel defaults, per stage code of cohort_col in the window."""
    if not has_costless_touchpoints(cur, version):
        return pd.Series(dtype=float)
    frame = cur.execute(
        f"""
        select s.{cohort_col} as code, n.channel, sum(n.contacts) as contacts
        from {version.table("fn_nocost")} n join ({staged_sql}) s using (ck)
        where n.month >= ? and n.month <= ?
        group by all
        """,
        [*params, window.start, window.end],
    ).df()
    if frame.empty:
        return pd.Series(dtype=float)
    costs = dict(spec.channel_costs)
    frame["cost"] = frame["contacts"] * frame["channel"].map(lambda c: costs.get(c, costs.get("other", 0.0)))
    return frame.groupby("code")["cost"].sum()


def has_costless_touchpoints(cur: duckdb.DuckDBPyConnection, version: Version) -> bool:
    """Whether any touchpoint lacks a cost of its own (the per-channel defaults then price it)."""
    return bool(cur.execute(f"select count(*) > 0 from (select 1 from {version.table('fn_nocost')} limit 1)").fetchall()[0][0])


def costless_touchpoints(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """Touchpoints without a cost of their own, per channel (what the per-channel defaults price)."""
    return cur.execute(
        f"select channel, sum(contacts) as touchpoints from {version.table('fn_nocost')} group by channel order by channel"
    ).df()


def stage_economics(cur: duckdb.DuckDBPyConnection, version: Version, spec: EconomicsSpec) -> pd.DataFrame:
    """Per stage, for the customers in it the day before the window opened: customers; retention rate (share not
    defected by the window's end; customer stages only); spend per customer (sum of amounts in the window); referral
    rate (share who referred at least one customer); marketing cost per customer (mean acquisition cost); direct cost
    per customer (touchpoint and transaction costs in the window, per-channel defaults where a touchpoint has none);
    margin per customer (spend × gross margin − direct cost); ROI ((margin − marketing cost) ÷ marketing cost)."""
    spec = spec.validate()
    model = spec.model
    current, _, _ = windows(cur, version, spec)
    staged = stages.staged_sql(version, model, {"s": current.day_before, "e": current.end}, spec.filters, known_on="s")
    both = cur.execute(
        f"""
        with s as materialized (select ck, s_s, s_e, referrals, acquisition_cost from ({staged.sql}) s0),
             people as (
                 select s_s as code, count(*) as customers,
                        count(*) filter (where s_e <> ?) as retained,
                        count(*) filter (where referrals >= 1) as referrers,
                        count(referrals) as referrals_known,
                        avg(acquisition_cost) as marketing_cost
                 from s group by s_s
             ),
             money as (
                 select s.s_s as code, sum(m.spend) as spend, sum(m.known_cost) as known_cost
                 from {version.table("fn_monthly")} m join s using (ck)
                 where m.month >= ? and m.month <= ?
                 group by s.s_s
             )
        select * from people left join money using (code)
        """,
        [*staged.params, CODE["defected"], current.start, current.end],
    ).df()
    people = both[["code", "customers", "retained", "referrers", "referrals_known", "marketing_cost"]]
    money = both[["code", "spend", "known_cost"]].fillna(0.0)
    defaults = _direct_cost(cur, version, staged.sql, staged.params, "s_s", current, spec)
    people = people.set_index("code")
    money = money.set_index("code")
    has_referrals = version.has("customers", "referrals")
    has_acquisition = version.has("customers", "acquisition_cost")
    rows = []
    for role, name in model.stages:
        code = CODE[role]
        n = int(people.loc[code, "customers"]) if code in people.index else 0
        spend = float(money.loc[code, "spend"]) if code in money.index else 0.0
        cost = (float(money.loc[code, "known_cost"]) if code in money.index else 0.0) + float(defaults.get(code, 0.0))
        row = {"stage": name, "role": role, "customers": n}
        if n:
            marketing = people.loc[code, "marketing_cost"] if has_acquisition else None
            marketing = None if marketing is None or pd.isna(marketing) else float(marketing)
            known_refs = int(people.loc[code, "referrals_known"])
            margin = spend / n * spec.gross_margin - cost / n
            row.update(
                retention=None if code in NOT_CUSTOMERS else int(people.loc[code, "retained"]) / n,
                spend_per_customer=spend / n,
                referral_rate=int(people.loc[code, "referrers"]) / known_refs if has_referrals and known_refs else None,
                marketing_cost=marketing,
                direct_cost=cost / n,
                margin=margin,
                roi=(margin - marketing) / marketing if marketing else None,
            )
        rows.append(row)
    columns = [
        "stage",
        "role",
        "customers",
        "retention",
        "spend_per_customer",
        "referral_rate",
        "marketing_cost",
        "direct_cost",
        "margin",
        "roi",
    ]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    frame.attrs["window"] = current.label()
    return frame


CHECKS: tuple[tuple[str, str, str, str, str, str], ...] = (
    # key, label, short label, kind, the good direction, definition
    (
        "retention",
        "Retention",
        "Retention",
        "pct",
        "up",
        "Of the customers (every stage but prospect and defected) the day before the window opened, the share not "
        "defected by its end.",
    ),
    (
        "spend",
        "Spend per customer",
        "Spend",
        "money",
        "up",
        "What those customers spent in the window (sum of transaction amounts, refunds negative) ÷ their number.",
    ),
    (
        "referrals",
        "Referral rate",
        "Referrals",
        "pct",
        "up",
        "Of the customers at the window's end, the share who have referred at least one customer. Referrals carry no "
        "date in the data, so the rate moves with who the customers are.",
    ),
    (
        "marketing",
        "Marketing cost per new customer",
        "Marketing",
        "money",
        "down",
        "Acquisition cost of everyone who signed up (became a lead) in the window ÷ customers whose first purchase "
        "fell in the window.",
    ),
    (
        "direct",
        "Direct cost per customer",
        "Direct cost",
        "money",
        "down",
        "Touchpoint and transaction costs of the window's starting customers in the window (per-channel defaults "
        "where a touchpoint has no cost) ÷ their number.",
    ),
)


def five_checks(cur: duckdb.DuckDBPyConnection, version: Version, spec: EconomicsSpec) -> pd.DataFrame:
    """One row per check: its value in the window and in the window before, the change, and whether it moved the good
    way (retention, spend and referrals up; marketing and direct cost down)."""
    spec = spec.validate()
    current, previous, has_previous = windows(cur, version, spec)
    dates = {"a": previous.day_before, "b": current.day_before, "c": current.end}
    staged = stages.staged_sql(version, spec.model, dates, spec.filters)
    not_customer = ", ".join(str(c) for c in NOT_CUSTOMERS)
    row = cur.execute(
        f"""
        with s as materialized (
                 select ck, s_a, s_b, s_c, referrals, acquisition_cost, lead_date, since from ({staged.sql}) s0
             ),
             span as (select tx_start from {version.table("fn_span")}),
             people as (
                 select
                     count(*) filter (where s_a not in ({not_customer})) as cohort_p,
                     count(*) filter (where s_a not in ({not_customer}) and s_b <> ?) as retained_p,
                     count(*) filter (where s_b not in ({not_customer})) as cohort_c,
                     count(*) filter (where s_b not in ({not_customer}) and s_c <> ?) as retained_c,
                     count(*) filter (where s_b not in ({not_customer}) and referrals >= 1) as referrers_p,
                     count(*) filter (where s_b not in ({not_customer}) and referrals is not null) as referrals_known_p,
                     count(*) filter (where s_c not in ({not_customer}) and referrals >= 1) as referrers_c,
                     count(*) filter (where s_c not in ({not_customer}) and referrals is not null) as referrals_known_c,
                     sum(acquisition_cost) filter (where lead_date between ? and ?) as acquisition_p,
                     sum(acquisition_cost) filter (where lead_date between ? and ?) as acquisition_c,
                     count(*) filter (where since between greatest(?, span.tx_start) and ?) as new_p,
                     count(*) filter (where since between greatest(?, span.tx_start) and ?) as new_c
                 from s, span
             ),
             money as (
                 select sum(m.spend) filter (where m.month < ? and s.s_a not in ({not_customer})) as spend_p,
                        sum(m.known_cost) filter (where m.month < ? and s.s_a not in ({not_customer})) as cost_p,
                        sum(m.spend) filter (where m.month >= ? and s.s_b not in ({not_customer})) as spend_c,
                        sum(m.known_cost) filter (where m.month >= ? and s.s_b not in ({not_customer})) as cost_c
                 from {version.table("fn_monthly")} m join s using (ck)
                 where m.month >= ? and m.month <= ?
             )
        select * from people, money
        """,
        [
            *staged.params,
            CODE["defected"],
            CODE["defected"],
            previous.start,
            previous.end,
            current.start,
            current.end,
            previous.start,
            previous.end,
            current.start,
            current.end,
            current.start,
            current.start,
            current.start,
            current.start,
            previous.start,
            current.end,
        ],
    ).df()
    values = row.iloc[0].to_dict()
    for key in ("spend_p", "cost_p", "spend_c", "cost_c"):
        values[key] = 0.0 if pd.isna(values[key]) else float(values[key])
    for suffix, cohort_col, window in (("p", "s_a", previous), ("c", "s_b", current)):
        extra = _direct_cost(cur, version, _cohort_only(staged.sql, cohort_col), staged.params, cohort_col, window, spec)
        values[f"cost_{suffix}"] += float(extra.sum()) if len(extra) else 0.0

    def ratio(num: float | None, den: float | None) -> float | None:
        return None if num is None or pd.isna(num) or not den else float(num) / float(den)

    has_refs = version.has("customers", "referrals")
    has_acq = version.has("customers", "acquisition_cost")
    has_money = version.has("transactions") or version.has("interactions")
    figures = {
        "retention": (ratio(values["retained_c"], values["cohort_c"]), ratio(values["retained_p"], values["cohort_p"])),
        "spend": (ratio(values["spend_c"], values["cohort_c"]), ratio(values["spend_p"], values["cohort_p"])),
        "referrals": (
            ratio(values["referrers_c"], values["referrals_known_c"]) if has_refs else None,
            ratio(values["referrers_p"], values["referrals_known_p"]) if has_refs else None,
        ),
        "marketing": (
            ratio(values["acquisition_c"], values["new_c"]) if has_acq else None,
            ratio(values["acquisition_p"], values["new_p"]) if has_acq else None,
        ),
        "direct": (
            ratio(values["cost_c"], values["cohort_c"]) if has_money else None,
            ratio(values["cost_p"], values["cohort_p"]) if has_money else None,
        ),
    }
    rows = []
    for key, label, short, kind, good, definition in CHECKS:
        now, before = figures[key]
        if not has_previous:
            before = None
        change = None if now is None or before is None else now - before
        better = None if change is None or change == 0 else (change > 0) == (good == "up")
        rows.append(
            {
                "key": key,
                "label": label,
                "short": short,
                "kind": kind,
                "good": good,
                "current": now,
                "previous": before,
                "change": change,
                "better": better,
                "definition": definition,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs.update({"window": current.label(), "previous_window": previous.label(), "has_previous": has_previous})
    return frame


def _cohort_only(staged_sql: str, cohort_col: str) -> str:
    """The staged select restricted to customers (not prospects or defected) in cohort_col."""
    not_customer = ", ".join(str(c) for c in NOT_CUSTOMERS)
    return f"select * from ({staged_sql}) s0 where s0.{cohort_col} not in ({not_customer})"
