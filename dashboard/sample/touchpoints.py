"""The sample's touchpoints: leads, buyers, usage and billing, news and support, complaints, renewals and exits,
and the surveys after them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from dashboard.sample.world import (
    COMPLAINT_REASON_SHARE,
    COMPLAINT_REASONS,
    CONSIDERATION_REASONS,
    CONTACT_COST,
    DAY,
    OUTBOUND_COST,
    SLA_DAYS,
    WINDOW_START,
    YEAR,
    cost,
    office_hours,
    pick,
    repeat,
    uniform_times,
)


class _Events:
    """Column lists of touchpoints, appended block by block and concatenated at the end."""

    FIELDS = ("cust", "ts", "channel", "stage", "reason", "initiated_by", "resolved", "resolved_ts", "cost", "kind")

    def __init__(self) -> None:
        self.blocks: dict[str, list[np.ndarray]] = {f: [] for f in self.FIELDS}

    def add(self, **cols: object) -> None:
        n = len(cols["cust"])
        defaults = {"resolved": -1, "resolved_ts": -1}
        for f in self.FIELDS:
            value = cols.get(f, defaults.get(f))
            if value is None or isinstance(value, str):
                value = np.full(n, value, dtype=object)
            elif np.ndim(value) == 0:
                value = np.full(n, value, dtype=np.int64)
            self.blocks[f].append(np.asarray(value))

    def concat(self) -> dict[str, np.ndarray]:
        return {f: np.concatenate(v) if v else np.array([]) for f, v in self.blocks.items()}


def draw(rng: np.random.Generator, reason_rng: np.random.Generator, cohort: SimpleNamespace, cases: SimpleNamespace) -> dict:
    """Every touchpoint of the block inside each customer's window, a fifth of the customer-started ones surveyed."""
    ev = _Events()
    cohort.years_active = np.maximum(cohort.end - cohort.start, 0) / YEAR * cohort.customer
    _lead_events(rng, reason_rng, cohort, ev)
    _buyer_events(rng, cohort, ev)
    _usage_and_billing_events(rng, cohort, ev)
    _news_and_support_events(rng, cohort, ev)
    _complaint_events(rng, cases, cohort, ev)
    _renewal_and_exit_events(rng, cohort, ev)
    events = ev.concat()
    event_ts = events["ts"].astype(np.int64)
    in_window = (event_ts >= WINDOW_START) & (event_ts < cohort.end[events["cust"].astype(np.int64)])
    events = {key: v[in_window] for key, v in events.items()}
    return _survey_touchpoints(rng, events)


def _lead_events(rng: np.random.Generator, reason_rng: np.random.Generator, cohort: SimpleNamespace, ev: _Events) -> None:
    """Awareness and consideration touchpoints of leads: prospects and customers who signed up in the window."""
    lead = np.flatnonzero((cohort.signup >= WINDOW_START) | cohort.is_prospect)
    aware_n = 1 + rng.poisson(0.6, len(lead))
    a_cust = np.repeat(lead, aware_n)
    a_ts = cohort.signup[a_cust] - (rng.uniform(5, 60, len(a_cust)) * DAY).astype(np.int64)
    a_channel = np.array(["social", "web", "mail"], dtype=object)[pick(rng, ("s", "w", "m"), (0.4, 0.35, 0.25), len(a_cust))]
    ev.add(
        cust=a_cust,
        ts=a_ts,
        channel=a_channel,
        stage="awareness",
        reason=np.where(a_channel == "mail", "Mailing", np.where(a_channel == "social", "Advert", "Tariff comparison")),
        initiated_by=np.where(a_channel == "web", "customer", "company"),
        cost=cost(rng, a_channel, OUTBOUND_COST),
        kind="acquisition",
    )
    cons_n = rng.poisson(1.2, len(lead))
    k_cust = np.repeat(lead, cons_n)
    k_ts = cohort.signup[k_cust] - (rng.uniform(0.5, 5, len(k_cust)) * DAY).astype(np.int64)
    k_channel = np.array(["web", "phone", "chat", "store"], dtype=object)[
        pick(rng, ("w", "p", "c", "s"), (0.5, 0.3, 0.12, 0.08), len(k_cust))
    ]
    ev.add(
        cust=k_cust,
        ts=k_ts,
        channel=k_channel,
        stage="consideration",
        reason=np.array(CONSIDERATION_REASONS, dtype=object)[
            pick(reason_rng, CONSIDERATION_REASONS, (0.45, 0.25, 0.18, 0.12), len(k_cust))
        ],
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, k_channel, CONTACT_COST),
        kind="acquisition",
    )


def _buyer_events(rng: np.random.Generator, cohort: SimpleNamespace, ev: _Events) -> None:
    """Purchase and onboarding touchpoints of customers who signed up in the window."""
    buyers = np.flatnonzero(((cohort.signup >= WINDOW_START) | cohort.is_prospect) & cohort.customer)
    p_channel = np.array(["web", "phone", "store"], dtype=object)[pick(rng, ("w", "p", "s"), (0.55, 0.35, 0.1), len(buyers))]
    ev.add(
        cust=buyers,
        ts=cohort.signup[buyers] + (rng.uniform(0.3, 0.8, len(buyers)) * DAY).astype(np.int64),
        channel=p_channel,
        stage="purchase",
        reason="Sign up",
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, p_channel, CONTACT_COST),
        kind="acquisition",
    )
    ev.add(
        cust=buyers,
        ts=cohort.signup[buyers] + (rng.uniform(1, 3, len(buyers)) * DAY).astype(np.int64),
        channel="email",
        stage="onboarding",
        reason="Welcome pack",
        initiated_by="company",
        cost=cost(rng, np.full(len(buyers), "email"), OUTBOUND_COST),
        kind="onboarding",
    )
    calls = buyers[rng.random(len(buyers)) < 0.3 * (1.2 - cohort.self_service[buyers])]
    call_channel = np.where(rng.random(len(calls)) < 0.7, "phone", "chat").astype(object)
    ev.add(
        cust=calls,
        ts=office_hours(rng, cohort.signup[calls] + (rng.uniform(3, 25, len(calls)) * DAY).astype(np.int64)),
        channel=call_channel,
        stage="onboarding",
        reason="Account set-up",
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, call_channel, CONTACT_COST),
        kind="onboarding",
    )
    installs = buyers[cohort.flags["smart_meter"][buyers]]
    ev.add(
        cust=installs,
        ts=office_hours(rng, cohort.signup[installs] + (rng.uniform(10, 40, len(installs)) * DAY).astype(np.int64)),
        channel="field",
        stage="onboarding",
        reason="Smart meter install",
        initiated_by="company",
        resolved=1,
        cost=cost(rng, np.full(len(installs), "field"), OUTBOUND_COST),
        kind="onboarding",
    )


def _usage_and_billing_events(rng: np.random.Generator, cohort: SimpleNamespace, ev: _Events) -> None:
    """Self-service visits, billing questions (more for paper bills and manual payment) and payment reminders."""
    # usage: self-service visits
    u_count = rng.poisson(4.5 * cohort.self_service * cohort.years_active)
    u_cust = repeat(u_count)
    u_channel = np.where(rng.random(len(u_cust)) < 0.55, "app", "web").astype(object)
    ev.add(
        cust=u_cust,
        ts=uniform_times(rng, cohort.start[u_cust], cohort.end[u_cust]),
        channel=u_channel,
        stage="usage",
        reason=np.where(rng.random(len(u_cust)) < 0.7, "Check usage", "Update details"),
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, u_channel, CONTACT_COST),
        kind="usage",
    )

    # billing questions: more for paper bills and manual payment, on the phone for low self-service
    paper = ~cohort.flags["e_billing"]
    manual = ~cohort.flags["autopay"]
    q_rate = 0.45 * (1 + 0.6 * paper + 0.4 * manual) * cohort.years_active
    q_cust = repeat(rng.poisson(q_rate))
    q_channel = _service_channel(rng, cohort.self_service[q_cust])
    ev.add(
        cust=q_cust,
        ts=office_hours(rng, uniform_times(rng, cohort.start[q_cust], cohort.end[q_cust])),
        channel=q_channel,
        stage="billing",
        reason=np.array(["Bill query", "Payment arrangement", "Direct debit", "Tariff question"], dtype=object)[
            pick(rng, ("b", "p", "d", "t"), (0.5, 0.2, 0.15, 0.15), len(q_cust))
        ],
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, q_channel, CONTACT_COST),
        kind="billing",
    )
    r_cust = repeat(rng.poisson(1.2 * manual * cohort.years_active))
    r_channel = np.where(cohort.flags["e_billing"][r_cust], "email", "mail").astype(object)
    ev.add(
        cust=r_cust,
        ts=uniform_times(rng, cohort.start[r_cust], cohort.end[r_cust]),
        channel=r_channel,
        stage="billing",
        reason="Payment reminder",
        initiated_by="company",
        cost=cost(rng, r_channel, OUTBOUND_COST),
        kind="billing",
    )


def _news_and_support_events(rng: np.random.Generator, cohort: SimpleNamespace, ev: _Events) -> None:
    """Company news (saving tips, planned-outage notices) and customer-started service requests."""
    # company news: saving tips and planned-outage notices
    o_cust = repeat(rng.poisson(0.65 * cohort.years_active))
    o_channel = np.array(["email", "mail", "social"], dtype=object)[pick(rng, ("e", "m", "s"), (0.6, 0.3, 0.1), len(o_cust))]
    ev.add(
        cust=o_cust,
        ts=uniform_times(rng, cohort.start[o_cust], cohort.end[o_cust]),
        channel=o_channel,
        stage="usage",
        reason=np.where(rng.random(len(o_cust)) < 0.6, "Energy-saving tips", "Planned outage notice"),
        initiated_by="company",
        cost=cost(rng, o_channel, OUTBOUND_COST),
        kind="news",
    )

    # service requests
    s_cust = repeat(rng.poisson(0.55 * cohort.years_active))
    s_channel = _service_channel(rng, cohort.self_service[s_cust])
    ev.add(
        cust=s_cust,
        ts=office_hours(rng, uniform_times(rng, cohort.start[s_cust], cohort.end[s_cust])),
        channel=s_channel,
        stage="support",
        reason=np.array(["Meter reading", "Outage report", "Move home", "Tariff change", "Appointment"], dtype=object)[
            pick(rng, ("m", "o", "h", "t", "a"), (0.35, 0.2, 0.15, 0.2, 0.1), len(s_cust))
        ],
        initiated_by="customer",
        resolved=np.where(rng.random(len(s_cust)) < 0.93, 1, 0),
        cost=cost(rng, s_channel, CONTACT_COST),
        kind="support",
    )


def _complaint_events(rng: np.random.Generator, cases: SimpleNamespace, cohort: SimpleNamespace, ev: _Events) -> None:
    """Each complaint's first contact and its follow-up contacts, some switching channel."""
    # complaints and their follow-up contacts
    c_channel = np.array(["phone", "email", "chat", "social", "store", "web"], dtype=object)[
        pick(rng, ("p", "e", "c", "s", "st", "w"), (0.5, 0.22, 0.1, 0.08, 0.05, 0.05), len(cases.cust))
    ]
    c_reason = np.array(COMPLAINT_REASONS, dtype=object)[pick(rng, COMPLAINT_REASONS, COMPLAINT_REASON_SHARE, len(cases.cust))]
    ev.add(
        cust=cases.cust,
        ts=cases.ts,
        channel=c_channel,
        stage="complaint",
        reason=c_reason,
        initiated_by="customer",
        resolved=np.where(cases.unresolved, 0, 1),
        resolved_ts=np.where(cases.unresolved, -1, cases.resolved_ts),
        cost=cost(rng, c_channel, CONTACT_COST),
        kind="complaint",
    )
    f_parent = np.repeat(np.arange(len(cases.cust)), cases.repeats)
    f_cust = cases.cust[f_parent]
    f_gap = np.maximum(cases.days[f_parent], 2.0) * rng.uniform(0.15, 0.95, len(f_parent))
    f_ts = office_hours(rng, cases.ts[f_parent] + (f_gap * DAY).astype(np.int64))
    f_ts = np.minimum(f_ts, cohort.end[f_cust] - 3600)
    switch = rng.random(len(f_parent)) < 0.45
    f_channel = np.where(switch, np.where(c_channel[f_parent] == "phone", "email", "phone"), c_channel[f_parent]).astype(object)
    ev.add(
        cust=f_cust,
        ts=f_ts,
        channel=f_channel,
        stage="complaint",
        reason=c_reason[f_parent],
        initiated_by="customer",
        resolved=np.where(cases.unresolved[f_parent], 0, 1),
        resolved_ts=np.where(cases.unresolved[f_parent], -1, np.maximum(cases.resolved_ts[f_parent], f_ts)),
        cost=cost(rng, f_channel, CONTACT_COST),
        kind="followup",
    )


def _renewal_and_exit_events(rng: np.random.Generator, cohort: SimpleNamespace, ev: _Events) -> None:
    """Company-started renewal offers and the leaving customer's last contact."""
    # renewals, company-started, once a year for some customers
    n_cust = repeat(rng.poisson(0.45 * cohort.years_active))
    n_channel = np.where(rng.random(len(n_cust)) < 0.75, "email", "phone").astype(object)
    ev.add(
        cust=n_cust,
        ts=office_hours(rng, uniform_times(rng, cohort.start[n_cust], cohort.end[n_cust])),
        channel=n_channel,
        stage="renewal",
        reason="Renewal offer",
        initiated_by="company",
        cost=cost(rng, n_channel, OUTBOUND_COST),
        kind="renewal",
    )

    # exit: the leaving customer's last contact
    leavers = np.flatnonzero(cohort.churned)
    x_channel = np.array(["phone", "email", "web"], dtype=object)[pick(rng, ("p", "e", "w"), (0.6, 0.25, 0.15), len(leavers))]
    ev.add(
        cust=leavers,
        ts=office_hours(rng, cohort.churn_ts[leavers] - (rng.uniform(1, 12, len(leavers)) * DAY).astype(np.int64)),
        channel=x_channel,
        stage="exit",
        reason=cohort.churn_reason[leavers],
        initiated_by="customer",
        resolved=1,
        cost=cost(rng, x_channel, CONTACT_COST),
        kind="exit",
    )


def _service_channel(rng: np.random.Generator, self_service: np.ndarray) -> np.ndarray:
    """Channel of a customer-started service contact: digital with probability self_service, else assisted."""
    n = len(self_service)
    digital = rng.random(n) < self_service
    digital_choice = np.array(["web", "app", "ivr", "chat"], dtype=object)[
        pick(rng, ("w", "a", "i", "c"), (0.4, 0.3, 0.2, 0.1), n)
    ]
    assisted_choice = np.array(["phone", "email", "store"], dtype=object)[pick(rng, ("p", "e", "s"), (0.8, 0.15, 0.05), n)]
    return np.where(digital, digital_choice, assisted_choice)


def _survey_touchpoints(rng: np.random.Generator, events: dict) -> dict:
    """Satisfaction (1-5) and effort (1-5, higher is harder) for the fifth of customer-started touchpoints surveyed."""
    n = len(events["cust"])
    channel = events["channel"]
    kind = events["kind"]
    customer_started = events["initiated_by"] == "customer"
    surveyed = customer_started & (rng.random(n) < 0.22) & (kind != "exit")
    resolution_days = np.where(
        events["resolved_ts"].astype(np.int64) > 0, (events["resolved_ts"].astype(np.int64) - events["ts"]) / DAY, 0
    )
    slow = resolution_days > SLA_DAYS
    sat = 4.2 + rng.normal(0, 0.8, n)
    sat -= 0.35 * (channel == "phone") + 0.45 * (channel == "ivr") - 0.1 * np.isin(channel, ("web", "app"))
    sat -= 1.2 * (kind == "complaint") + 1.7 * (kind == "followup") + 0.6 * slow
    sat -= 0.4 * (kind == "billing")
    effort = 1.9 + rng.normal(0, 0.7, n)
    effort += 0.6 * (channel == "phone") + 0.9 * (channel == "ivr") - 0.3 * np.isin(channel, ("web", "app"))
    effort += 1.1 * (kind == "complaint") + 1.6 * (kind == "followup") + 0.5 * slow
    events["satisfaction"] = np.where(surveyed, np.clip(np.round(sat), 1, 5), np.nan)
    events["effort"] = np.where(surveyed, np.clip(np.round(effort), 1, 5), np.nan)
    return events


def phone_contacts_last_year(events: dict, end: np.ndarray, n: int) -> np.ndarray:
    """Customer-started phone contacts in the 12 months before each customer's end."""
    cust = events["cust"].astype(np.int64)
    hit = (
        (events["channel"] == "phone")
        & (events["initiated_by"] == "customer")
        & (events["ts"].astype(np.int64) >= end[cust] - int(YEAR))
    )
    return np.bincount(cust[hit], minlength=n)


def self_service_share(events: dict, n: int) -> np.ndarray:
    """Share of each customer's customer-started contacts made on web, app or ivr (0 when none)."""
    cust = events["cust"].astype(np.int64)
    started = events["initiated_by"] == "customer"
    digital = started & np.isin(events["channel"], ("web", "app", "ivr"))
    total = np.bincount(cust[started], minlength=n)
    return np.divide(np.bincount(cust[digital], minlength=n), total, out=np.zeros(n), where=total > 0)


def interactions_table(events: dict, ids: np.ndarray) -> pa.Table:
    """Touchpoint columns as an Arrow table in the contract's shape, sorted by customer and time."""
    cust = events["cust"].astype(np.int64)
    ts = events["ts"].astype(np.int64)
    order = np.lexsort((ts, cust))
    resolved = events["resolved"].astype(np.int64)[order]
    resolved_ts = events["resolved_ts"].astype(np.int64)[order]
    return pa.table(
        {
            "customer_id": pa.array(ids[cust[order]], pa.string()),
            "ts": pa.array(ts[order].astype("datetime64[s]").astype("datetime64[ms]")),
            "channel": pa.array(events["channel"][order], pa.string()),
            "stage": pa.array(events["stage"][order], pa.string()),
            "reason": pa.array(events["reason"][order], pa.string()),
            "initiated_by": pa.array(events["initiated_by"][order], pa.string()),
            "resolved": pa.array(resolved == 1, mask=resolved < 0),
            "resolved_ts": pa.array((resolved_ts * 1000).astype("datetime64[ms]"), mask=resolved_ts < 0),
            "satisfaction": pa.array(events["satisfaction"][order], pa.float64(), from_pandas=True),
            "effort": pa.array(events["effort"][order], pa.float64(), from_pandas=True),
            "cost": pa.array(events["cost"][order].astype(np.float64)),
        }
    )
