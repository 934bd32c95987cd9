"""Checks across tables on customer IDs: repeated IDs, IDs of events missing from customers, customers built from IDs."""

from __future__ import annotations

import duckdb

from dashboard.ingest.report import NOTE, WARNING, Example, Problem, Report, TableReport, n, verb
from dashboard.ingest.stage.plans import TablePlan
from dashboard.ingest.stage.rows import StagedFile, StagedTable
from dashboard.ingest.validate.options import EXAMPLES


def where_is(staged: StagedTable, rowid: int) -> StagedFile:
    """The file of a staged table that a staged row (by rowid) came from."""
    return next(f for f in staged.files if f.offset <= rowid < f.offset + f.rows)


def customer_checks(
    cur: duckdb.DuckDBPyConnection,
    plans: dict[str, TablePlan],
    staged: dict[str, StagedTable],
    report: Report,
) -> None:
    """Duplicate customer IDs; IDs in transactions or interactions missing from customers (added); customers built from IDs."""
    usable = {table: staged[table] for table, plan in plans.items() if not plan.blocked and table in staged}
    events = [usable[table] for table in ("transactions", "interactions") if table in usable]
    customers = usable.get("customers")
    if customers is not None:
        _duplicate_ids(cur, customers, plans, report)
    if events and customers is not None:
        _added_customers(cur, events, customers, report)
    elif events and "customers" not in plans:
        _built_customers(cur, events, report)


def _duplicate_ids(cur: duckdb.DuckDBPyConnection, customers: StagedTable, plans: dict[str, TablePlan], report: Report) -> None:
    """Customer IDs on more than one row: the first row of each is kept, the others rejected."""
    out = report.tables["customers"]
    repeated = cur.execute(
        f"""
        with c as (
            select customer_id, rowid as i, {customers.row_sql()} as r,
                   row_number() over (partition by customer_id order by rowid) as k
            from {customers.name} where not _rejected
        )
        select count(distinct customer_id) filter (where k > 1), count(*) filter (where k > 1),
               min_by(struct_pack(i := i, r := r, v := customer_id), i, {EXAMPLES}) filter (where k > 1)
        from c
        """
    ).fetchall()[0]
    ids, extra, samples = repeated[0], repeated[1], repeated[2] or []
    if extra:
        out.rejected += extra
        out.problems.append(
            Problem(
                "customers",
                WARNING,
                "duplicate_ids",
                f"customers: {n(ids, 'customer ID')} {verb(ids, 'appears', 'appear')} more than once "
                f"({n(extra, 'extra row')}); "
                "the first row of each is kept, the others are left out",
                "Download the rejected rows to see the repeats; remove them at the source if the first row is not the right one.",
                extra,
                plans["customers"].mapping.columns.get("customer_id", ""),
                tuple(Example(where_is(customers, s["i"]).name, int(s["r"]), repr(s["v"])) for s in samples),
                True,
            )
        )


def _added_customers(cur: duckdb.DuckDBPyConnection, events: list[StagedTable], customers: StagedTable, report: Report) -> None:
    """Customer IDs of transactions or interactions that the customers file lacks: added with blank attributes."""
    event_ids = " union all ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
    row = cur.execute(
        f"""
        with ids as (select distinct customer_id from {customers.name} where not _rejected),
             ev as ({event_ids})
        select count(distinct ev.customer_id), count(*), list(distinct ev.customer_id)[1:{EXAMPLES}]
        from ev anti join ids using (customer_id)
        """
    ).fetchall()[0]
    missing, rows, samples = row[0], row[1], row[2] or []
    if missing:
        out = report.tables["customers"]
        out.added = missing
        out.problems.append(
            Problem(
                "customers",
                WARNING,
                "added_customers",
                f"customers: {n(missing, 'customer ID')} in transactions or interactions ({n(rows, 'row')}) "
                f"{verb(missing, 'is', 'are')} not in the customers file; added as customers with blank attributes so no "
                "transaction or touchpoint is dropped",
                "Check that the customers file is complete (or is the extract of the same date as the others).",
                missing,
                "customer_id",
                tuple(Example("", 0, repr(v)) for v in sorted(samples)),
            )
        )


def _built_customers(cur: duckdb.DuckDBPyConnection, events: list[StagedTable], report: Report) -> None:
    """No customers file: the customers table is built from the IDs of transactions and interactions."""
    event_ids = " union ".join(f"select customer_id from {e.name} where not _rejected" for e in events)
    built = cur.execute(f"select count(distinct customer_id) from ({event_ids})").fetchall()[0][0]
    out = report.tables.setdefault("customers", TableReport("customers"))
    out.added = built
    out.problems.append(
        Problem(
            "customers",
            NOTE,
            "built_customers",
            f"customers: no customers file, so the customers table is built from the {n(built, 'distinct customer ID')} "
            "in transactions and interactions (with blank attributes)",
            "Upload a customers file to add segments, regions, sign-up dates, churn and behaviours.",
            built,
        )
    )
