"""What each relationship stage is worth over a window of months, and the five checks against the window before:
retention up, spend up, referrals up, marketing cost down, direct cost down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from dashboard.metrics import money
from dashboard.metrics.funnel import stage_sql, stages
from dashboard.metrics.funnel.stages import CODE, DEFAULT_MODEL, StageModel
from dashboard.metrics.scope import Filters, month_start
from dashboard.sql import Sql, group_by_all, lit, select_except, sql
from dashboard.store import Store, Version

SETTING_CHANNEL_COSTS = "funnel.channel_costs"
WINDOWS = (3, 6, 12)
DEFAULT_GROSS_MARGIN = money.DEFAULT_MARGIN
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
    """The dataset's one margin on spend (share 0 to 1, money.load_margin): the same figure Defection and What-if use."""
    return money.load_margin(store, dataset).share


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


def has_costless_touchpoints(cur: duckdb.DuckDBPyConnection, version: Version) -> bool:
    """Whether any touchpoint lacks a cost of its own (the per-channel defaults then price it)."""
    return bool(cur.execute(f"select count(*) > 0 from (select 1 from {version.table('fn_nocost')} limit 1)").fetchall()[0][0])


def costless_touchpoints(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """Contacts without a cost of their own, per channel of their first step (what the per-channel defaults price:
    the steps of one call are one contact, priced once)."""
    return cur.execute(
        f"select channel, sum(contacts) as touchpoints from {version.table('fn_nocost')} group by channel order by channel"
    ).df()


AGGREGATES = (
    "customers",
    "retained",
    "referrers",
    "referrals_known",
    "acquisition_sum",
    "acquisition_n",
    "spend",
    "known_cost",
    "costless",
)


def window_economics(cur: duckdb.DuckDBPyConnection, version: Version, spec: EconomicsSpec) -> pd.DataFrame:
    """The sums the economics figures are made of, for the current window ("c") and the one before ("p"): per stage on
    the day before the window (code), the customers, those not defected at its end (retained), referrers, those with a
    known referral count, acquisition cost (sum and count), spend, known direct cost and touchpoints without a cost
    priced at the channel defaults; and one row per window (code -1) with the customers at its end who are neither
    prospects nor defected, their referrers, acquisition cost of those who signed up in it and customers whose first
    purchase fell in it. One pass over the customers and the monthly money."""
    spec = spec.validate()
    current, previous, has_previous = windows(cur, version, spec)
    dates = {"a": previous.day_before, "b": current.day_before, "c": current.end}
    staged = stage_sql.staged_sql(version, spec.model, dates, spec.filters)
    query = sql(
        _window_sums_template(version),
        staged=staged,
        s_rest=select_except(["code_a", "code_b", "code_c"]),
        group_by=group_by_all(),
        c_start=lit(current.start),
        c_end=lit(current.end),
        p_start=lit(previous.start),
        p_end=lit(previous.end),
    )
    frame = cur.execute(*query).df()
    frame["costless"] = 0.0
    if has_costless_touchpoints(cur, version):
        priced = _costless_cost(cur, version, staged, spec, current, previous)
        frame = frame.merge(priced, on=["window", "code"], how="left", suffixes=("_zero", ""))
        frame["costless"] = frame["costless"].fillna(0.0)
        frame = frame.drop(columns=["costless_zero"])
    frame.attrs.update({"window": current.label(), "previous_window": previous.label(), "has_previous": has_previous})
    return frame


def _window_sums_template(version: Version) -> str:
    """The query of window_economics (placeholders: staged, s_rest, group_by, the windows' first and last days)."""
    defected = CODE["defected"]
    return f"""
        with s as materialized (
                 select ck, code_a, code_b, code_c, referrals, acquisition_cost, lead_date, since from ({{staged}}) s0
             ),
             span as (select tx_start from {version.table("fn_span")}),
             cohorts as (
                 select 'p' as w, code_a as code, code_b as at_end, {{s_rest}} from s where code_a is not null
                 union all
                 select 'c', code_b, code_c, {{s_rest}} from s where code_b is not null
             ),
             people as (
                 select w, code, count(*) as customers,
                        count(*) filter (where at_end <> {defected}) as retained,
                        count(*) filter (where referrals >= 1) as referrers,
                        count(referrals) as referrals_known,
                        sum(acquisition_cost) as acquisition_sum,
                        count(acquisition_cost) as acquisition_n
                 from cohorts {{group_by}}
             ),
             money as (
                 select case when m.month < {{c_start}} then 'p' else 'c' end as w,
                        case when m.month < {{c_start}} then s.code_a else s.code_b end as code,
                        sum(m.spend) as spend, sum(m.known_cost) as known_cost
                 from {version.table("fn_monthly")} m join s using (ck)
                 where m.month >= {{p_start}} and m.month <= {{c_end}}
                 {{group_by}}
             ),
{_window_ends_cte()}
        select p.w as window, p.code, p.customers, p.retained, p.referrers, p.referrals_known, p.acquisition_sum,
               p.acquisition_n, coalesce(m.spend, 0) as spend, coalesce(m.known_cost, 0) as known_cost,
               null as new_customers
        from people p left join money m using (w, code)
        union all
        select w, code, customers, null, referrers, referrals_known, acquisition_sum, null, null, null, new_customers
        from ends
        order by 1, 2
        """


def _window_ends_cte() -> str:
    """The `ends` step of window_economics: per window, the customers at its end who are neither prospects nor
    defected, their referrers, acquisition cost of the window's signups and customers whose first purchase fell in it."""
    not_customer = ", ".join(str(c) for c in NOT_CUSTOMERS)
    return f"""             ends as (
                 select 'p' as w, -1 as code,
                        count(*) filter (where code_b not in ({not_customer})) as customers,
                        count(*) filter (where code_b not in ({not_customer}) and referrals >= 1) as referrers,
                        count(*) filter (where code_b not in ({not_customer}) and referrals is not null) as referrals_known,
                        sum(acquisition_cost) filter (where lead_date between {{p_start}} and {{p_end}}) as acquisition_sum,
                        count(*) filter (where since between greatest({{p_start}}, (select tx_start from span)) and {{p_end}})
                            as new_customers
                 from s
                 union all
                 select 'c', -1,
                        count(*) filter (where code_c not in ({not_customer})),
                        count(*) filter (where code_c not in ({not_customer}) and referrals >= 1),
                        count(*) filter (where code_c not in ({not_customer}) and referrals is not null),
                        sum(acquisition_cost) filter (where lead_date between {{c_start}} and {{c_end}}),
                        count(*) filter (where since between greatest({{c_start}}, (select tx_start from span)) and {{c_end}})
                 from s
             )"""


def _costless_cost(cur, version: Version, staged: Sql, spec: EconomicsSpec, current: Window, previous: Window) -> pd.DataFrame:
    """Touchpoints without a cost, priced at the per-channel defaults, per window and stage on the day before it."""
    query = sql(
        f"""
        select case when n.month < {{c_start}} then 'p' else 'c' end as window,
               case when n.month < {{c_start}} then s.code_a else s.code_b end as code,
               n.channel, sum(n.contacts) as contacts
        from {version.table("fn_nocost")} n join ({{staged}}) s using (ck)
        where n.month >= {{p_start}} and n.month <= {{c_end}}
        {{group_by}}
        """,
        c_start=lit(current.start),
        staged=staged,
        p_start=lit(previous.start),
        c_end=lit(current.end),
        group_by=group_by_all(),
    )
    counts = cur.execute(*query).df()
    costs = dict(spec.channel_costs)
    counts["costless"] = counts["contacts"] * counts["channel"].map(lambda c: costs.get(c, costs.get("other", 0.0)))
    return counts.dropna(subset=["code"]).groupby(["window", "code"], as_index=False)["costless"].sum()


def stage_table(aggregates: pd.DataFrame, spec: EconomicsSpec, version: Version) -> pd.DataFrame:
    """Per stage, for the customers in it the day before the window opened: customers; retention rate (share not
    defected by the window's end; customer stages only); spend per customer (sum of amounts in the window); referral
    rate (share who referred at least one customer); marketing cost per customer (mean acquisition cost); direct cost
    per customer (touchpoint and transaction costs in the window, per-channel defaults where a touchpoint has none);
    margin per customer (spend × gross margin − direct cost); ROI ((margin − marketing cost) ÷ marketing cost)."""
    current = aggregates[(aggregates["window"] == "c") & (aggregates["code"] >= 0)].set_index("code")
    has_referrals = version.has("customers", "referrals")
    has_acquisition = version.has("customers", "acquisition_cost")
    rows = []
    for role, name in spec.model.stages:
        code = CODE[role]
        row = {"stage": name, "role": role, "customers": 0}
        if code in current.index and current.loc[code, "customers"]:
            found = current.loc[code]
            n = int(found["customers"])
            spend = float(found["spend"])
            cost = float(found["known_cost"]) + float(found["costless"])
            acquired = int(found["acquisition_n"]) if pd.notna(found["acquisition_n"]) else 0
            marketing = float(found["acquisition_sum"]) / acquired if has_acquisition and acquired else None
            known_refs = int(found["referrals_known"])
            margin = spend / n * spec.gross_margin - cost / n
            row.update(
                customers=n,
                retention=None if code in NOT_CUSTOMERS else int(found["retained"]) / n,
                spend_per_customer=spend / n,
                referral_rate=int(found["referrers"]) / known_refs if has_referrals and known_refs else None,
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
    frame.attrs["window"] = aggregates.attrs.get("window")
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


def checks_table(aggregates: pd.DataFrame, version: Version) -> pd.DataFrame:
    """One row per check: its value in the window and in the window before, the change, and whether it moved the good
    way (retention, spend and referrals up; marketing and direct cost down)."""
    figures = {}
    for window in ("c", "p"):
        part = aggregates[aggregates["window"] == window]
        cohort = part[part["code"].isin([CODE[r] for r in ("first_purchase", "repeat", "loyal", "advocate", "at_risk")])]
        ends = part[part["code"] == -1]
        size = float(cohort["customers"].sum())
        end = ends.iloc[0] if len(ends) else None

        def ratio(num: float | None, den: float | None) -> float | None:
            return None if num is None or pd.isna(num) or not den or pd.isna(den) else float(num) / float(den)

        figures[window] = {
            "retention": ratio(cohort["retained"].sum(), size),
            "spend": ratio(cohort["spend"].sum(), size),
            "referrals": ratio(end["referrers"], end["referrals_known"]) if end is not None else None,
            "marketing": ratio(end["acquisition_sum"], end["new_customers"]) if end is not None else None,
            "direct": ratio(cohort["known_cost"].sum() + cohort["costless"].sum(), size),
        }
    available = {
        "retention": True,
        "spend": version.has("transactions"),
        "referrals": version.has("customers", "referrals"),
        "marketing": version.has("customers", "acquisition_cost"),
        "direct": version.has("transactions") or version.has("interactions"),
    }
    has_previous = bool(aggregates.attrs.get("has_previous"))
    rows = []
    for key, label, short, kind, good, definition in CHECKS:
        now = figures["c"][key] if available[key] else None
        before = figures["p"][key] if available[key] and has_previous else None
        change = None if now is None or before is None else now - before
        better = None if change is None or abs(change) < 1e-12 else (change > 0) == (good == "up")
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
    frame.attrs.update({k: aggregates.attrs.get(k) for k in ("window", "previous_window", "has_previous")})
    return frame
