"""Tiny data shapes an analyst really brings, each published through the same upload path as a user's file.

Every shape is a function returning the files of one upload: table -> CSV text (a table left out is absent from the
upload, as when a user gives only transactions). The real files in tests/fixtures are shapes too. `publish_all`
uploads every shape into one database as its own dataset (named after the shape), with the automatic column mapping
a user gets on the Data page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dashboard.store import Store
from tests.ingest_helpers import publish

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Files = dict[str, str | Path]


def _csv(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def _months(year: int = 2024, first: int = 1, last: int = 6) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def customers_only_without_dates() -> Files:
    """Six customers with a segment, a region and a satisfaction score: no dates, no churn, no purchases."""
    rows = [f"K{i},{'Home' if i % 2 else 'Business'},{'North' if i < 4 else 'South'},{(i % 5) + 1}" for i in range(1, 7)]
    return {"customers": _csv("customer_id,segment,region,satisfaction", rows)}


def transactions_only() -> Files:
    """Five customers' monthly purchases over half a year; two stop buying in March."""
    rows = []
    for i in range(1, 6):
        months = _months() if i <= 3 else _months(last=3)
        rows += [f"T{i},{m}-{10 + i:02d},{20 * i + 5:.2f}" for m in months]
    return {"transactions": _csv("customer_id,date,amount", rows)}


def touchpoints_only() -> Files:
    """Four customers' contacts across channels and journey stages; no customers file, no purchases."""
    rows = [
        "C1,2024-01-03 09:00,phone,billing,bill query,customer",
        "C1,2024-01-05 10:00,phone,billing,bill query,customer",
        "C1,2024-02-01 11:00,web,usage,,customer",
        "C2,2024-01-10 12:00,email,complaint,late delivery,customer",
        "C2,2024-01-20 12:00,chat,complaint,late delivery,customer",
        "C3,2024-02-14 08:00,app,onboarding,,company",
        "C3,2024-03-01 08:00,phone,support,outage,customer",
        "C4,2024-03-02 16:00,store,purchase,,customer",
    ]
    return {"interactions": _csv("customer_id,ts,channel,stage,reason,initiated_by", rows)}


def one_touchpoint_per_customer() -> Files:
    """Five customers with exactly one touchpoint each (no journey has a second step) and a purchase each."""
    channels = ["phone", "web", "email", "store", "app"]
    contacts = [f"O{i},2024-0{i}-02 10:00,{channels[i - 1]},support" for i in range(1, 6)]
    buys = [f"O{i},2024-0{i}-01,{10 * i:.2f}" for i in range(1, 6)]
    return {
        "customers": _csv("customer_id,segment", [f"O{i},{'Home' if i % 2 else 'Business'}" for i in range(1, 6)]),
        "transactions": _csv("customer_id,date,amount", buys),
        "interactions": _csv("customer_id,ts,channel,stage", contacts),
    }


def anonymous_ids() -> Files:
    """Purchases where half the rows carry a shared placeholder id ("guest") and two carry none (rejected)."""
    rows = [f"guest,2024-0{m}-0{d},{5 * d:.2f}" for m in range(1, 5) for d in range(1, 4)]
    rows += [f"N{i},2024-0{m}-15,{12 * i:.2f}" for i in range(1, 4) for m in range(1, 5)]
    rows += [",2024-02-02,9.99", ",2024-03-03,19.99"]
    return {"transactions": _csv("customer_id,date,amount", rows)}


def single_month() -> Files:
    """Every purchase and contact inside March 2024."""
    buys = [f"M{i},2024-03-{d:02d},{15.5 * i:.2f}" for i in range(1, 5) for d in (3, 17)]
    contacts = [f"M{i},2024-03-{5 + i:02d} 09:00,{'phone' if i % 2 else 'web'},billing" for i in range(1, 5)]
    return {
        "customers": _csv("customer_id,segment,signup_date", [f"M{i},Home,2024-03-01" for i in range(1, 5)]),
        "transactions": _csv("customer_id,date,amount", buys),
        "interactions": _csv("customer_id,ts,channel,stage", contacts),
    }


def no_churn_information() -> Files:
    """Customers with segments and sign-up dates, purchases and contacts, but no churn flag, date or reason."""
    customers = [f"U{i},{'Home' if i % 2 else 'Business'},North,2023-1{i % 3}-01,{(i % 5) + 1}" for i in range(1, 7)]
    buys = [f"U{i},{m}-05,{30 + i:.2f}" for i in range(1, 7) for m in _months(last=2 + i % 4)]
    contacts = [f"U{i},2024-0{1 + i % 4}-09 10:00,phone,complaint,price" for i in range(1, 7)]
    return {
        "customers": _csv("customer_id,segment,region,signup_date,satisfaction", customers),
        "transactions": _csv("customer_id,date,amount", buys),
        "interactions": _csv("customer_id,ts,channel,stage,reason", contacts),
    }


def contract_snapshot_with_churn_flag() -> Files:
    """A telco-like snapshot: one row per contract with a Yes/No churn flag, e-billing and a contract type; no events."""
    rows = []
    for i in range(1, 11):
        churned = "Yes" if i in (2, 5, 9) else "No"
        paperless = "Yes" if i % 3 else "No"
        contract = ["Month-to-month", "One year", "Two year"][i % 3]
        rows.append(f"S{i},{contract},2022-0{1 + i % 9}-01,{churned},{paperless}")
    return {"customers": _csv("customer_id,segment,signup_date,churned,PaperlessBilling", rows)}


def leads_and_deals() -> Files:
    """Eight leads with the day they came in; three became deals (one order each, one of them a second order)."""
    leads = [f"L{i},Enterprise,2024-0{1 + i % 5}-0{1 + i % 7}" for i in range(1, 9)]
    deals = ["L2,2024-04-10,12000.00", "L5,2024-05-20,4500.00", "L7,2024-03-01,800.00", "L7,2024-06-01,950.00"]
    return {
        "customers": _csv("customer_id,segment,signup_date", leads),
        "transactions": _csv("customer_id,date,amount", deals),
    }


def orders_with_due_dates() -> Files:
    """Orders and their delivery touchpoints: delivered (resolved, with the day) or never delivered (unresolved), each
    promised by the 25th of its month (due_ts); one carries the system's own on-time flag instead of a due date."""
    orders = [f"D{i},2024-0{1 + i % 4}-0{i % 9 + 1},{40 + 3 * i:.2f}" for i in range(1, 9)]
    deliveries = []
    for i in range(1, 9):
        day = f"2024-0{1 + i % 4}-0{i % 9 + 1}"
        due, flag = (f"{day[:-2]}25 18:00", "") if i != 1 else ("", "true")
        if i % 3:
            deliveries.append(f"D{i},{day} 12:00,field,onboarding,delivery,company,true,{day[:-2]}2{i % 9},{due},{flag}")
        else:
            deliveries.append(f"D{i},{day} 12:00,field,onboarding,delivery,company,false,,{due},{flag}")
    return {
        "transactions": _csv("customer_id,date,amount", orders),
        "interactions": _csv("customer_id,ts,channel,stage,reason,initiated_by,resolved,resolved_ts,due_ts,on_time", deliveries),
    }


def contacts_with_several_steps() -> Files:
    """Customers walking several journey steps over channels, with repeats, resolutions, effort and satisfaction; each
    phone contact is one call of two steps sharing a contact_id (IVR, then an agent after a wait), one abandoned."""
    steps = [("awareness", "web"), ("consideration", "chat"), ("purchase", "store"), ("billing", "phone"), ("support", "phone")]
    rows = []
    for i in range(1, 7):
        for k, (stage, channel) in enumerate(steps[: 2 + i % 4]):
            resolved = "true" if (i + k) % 3 else "false"
            day = f"2024-0{1 + k}-{10 + i:02d}"
            contact = f"P{i}-{k}"
            tail = f"customer,{resolved}"
            if channel == "phone":
                rows.append(f"P{i},{day} 08:58,ivr,{stage},question {k},{tail},,,{contact},,45,")
                abandoned = "true" if resolved == "false" else "false"
                scores = f"{1 + k},{2 + i % 3}"
                rows.append(f"P{i},{day} 09:00,{channel},{stage},question {k},{tail},{scores},{contact},{20 * i},240,{abandoned}")
            else:
                rows.append(f"P{i},{day} 09:00,{channel},{stage},question {k},{tail},{1 + k},{2 + i % 3},{contact},,,")
    buys = [f"P{i},2024-03-{10 + i:02d},{99.0 + i:.2f}" for i in range(1, 7) if i % 2]
    header = "customer_id,ts,channel,stage,reason,initiated_by,resolved,satisfaction,effort,contact_id,wait_s,handle_s,abandoned"
    return {"transactions": _csv("customer_id,date,amount", buys), "interactions": _csv(header, rows)}


def complaints_without_resolution() -> Files:
    """A complaint register: complaints with reasons and channels but no resolution flag or date."""
    reasons = ["price", "service", "billing"]
    rows = [
        f"R{i},2024-0{1 + i % 5}-1{i % 9} 10:00,{'email' if i % 2 else 'phone'},complaint,{reasons[i % 3]}" for i in range(1, 10)
    ]
    return {"interactions": _csv("customer_id,ts,channel,stage,reason", rows)}


def refunds_and_zero_amounts() -> Files:
    """Purchases with refunds (negative), zero-amount lines, and one customer whose every line is zero."""
    rows = [
        "Z1,2024-01-05,100.00",
        "Z1,2024-02-05,-100.00",
        "Z1,2024-03-05,50.00",
        "Z2,2024-01-10,0.00",
        "Z2,2024-02-10,0.00",
        "Z3,2024-01-15,80.00",
        "Z3,2024-01-20,-30.00",
        "Z3,2024-04-15,0.00",
        "Z4,2024-02-01,25.00",
        "Z4,2024-05-01,25.00",
    ]
    return {"transactions": _csv("customer_id,date,amount", rows)}


def stage_column() -> Files:
    """Customers whose relationship stage is given by the file, with purchases that may disagree with it."""
    stages = ["prospect", "first purchase", "repeat", "loyal", "advocate", "at risk", "defected", "repeat"]
    customers = [f"G{i},Home,2023-06-0{i},{s}" for i, s in enumerate(stages, start=1)]
    buys = [f"G{i},{m}-0{i},{20.0 * i:.2f}" for i in range(2, 9) for m in _months(last=i % 6 + 1)]
    return {
        "customers": _csv("customer_id,segment,signup_date,stage", customers),
        "transactions": _csv("customer_id,date,amount", buys),
    }


def huge_and_tiny_segments() -> Files:
    """Sixty customers in one segment and thirty segments of one customer each, all buying and some calling."""
    customers = [f"H{i},Mass market,2023-01-01" for i in range(1, 61)]
    customers += [f"H{i},Niche {i - 60},2023-01-01" for i in range(61, 91)]
    buys = [f"H{i},2024-0{1 + i % 6}-{1 + i % 27:02d},{5 + i % 17:.2f}" for i in range(1, 91)]
    buys += [f"H{i},2024-0{1 + (i + 2) % 6}-{1 + i % 27:02d},{7 + i % 11:.2f}" for i in range(1, 91, 2)]
    contacts = [f"H{i},2024-0{1 + i % 6}-{2 + i % 26:02d} 10:00,{'phone' if i % 4 else 'web'},billing" for i in range(1, 91, 3)]
    return {
        "customers": _csv("customer_id,segment,signup_date", customers),
        "transactions": _csv("customer_id,date,amount", buys),
        "interactions": _csv("customer_id,ts,channel,stage", contacts),
    }


def telco() -> Files:
    """The whole IBM telco churn file: 7,043 contracts, churn flag, paperless billing, payment method, tenure."""
    return {"customers": FIXTURES / "telco_customer_churn.csv"}


def cdnow() -> Files:
    """The first 5,000 lines of CDNOW's purchase log (whitespace-aligned, yyyymmdd dates)."""
    return {"transactions": FIXTURES / "cdnow_master_head5000.txt"}


def online_retail() -> Files:
    """The UCI Online Retail invoice lines (541,909 rows, a quarter without a customer ID, cancellations)."""
    return {"transactions": FIXTURES / "online_retail.parquet"}


TINY: dict[str, Callable[[], Files]] = {
    f.__name__: f
    for f in (
        customers_only_without_dates,
        transactions_only,
        touchpoints_only,
        one_touchpoint_per_customer,
        anonymous_ids,
        single_month,
        no_churn_information,
        contract_snapshot_with_churn_flag,
        leads_and_deals,
        orders_with_due_dates,
        contacts_with_several_steps,
        complaints_without_resolution,
        refunds_and_zero_amounts,
        stage_column,
        huge_and_tiny_segments,
    )
}
REAL: dict[str, Callable[[], Files]] = {f.__name__: f for f in (telco, cdnow, online_retail)}
SHAPES: dict[str, Callable[[], Files]] = {**TINY, **REAL}


def says_who_left(name: str) -> bool:
    """Whether the shape's customers file has a churn column (a churned flag or a churn date)."""
    content = SHAPES[name]().get("customers")
    if content is None:
        return False
    header = (content.read_text() if isinstance(content, Path) else content).splitlines()[0]
    return "churn" in header.lower()


def has_column(name: str, table: str, column: str) -> bool:
    """Whether the shape's file for table has a column of that name (the tiny shapes use the contract's names)."""
    content = SHAPES[name]().get(table)
    return isinstance(content, str) and column in content.splitlines()[0].split(",")


def files_of(name: str, folder: Path) -> dict[str, list[Path]]:
    """The shape's files written under folder (real files used where they are), per table, as an upload takes them."""
    out: dict[str, list[Path]] = {}
    for table, content in SHAPES[name]().items():
        if isinstance(content, Path):
            out[table] = [content]
            continue
        path = folder / f"{name}_{table}.csv"
        path.write_text(content)
        out[table] = [path]
    return out


def publish_shape(store: Store, name: str, folder: Path) -> None:
    """Upload, check and publish the shape as dataset `name` with the automatic mapping."""
    work = folder / name
    work.mkdir(parents=True, exist_ok=True)
    publish(store, work, files_of(name, work), dataset=name)


def publish_all(path: Path, folder: Path, names: list[str] | None = None) -> Path:
    """A database file at path holding every shape (or those named) as its own dataset."""
    store = Store(path)
    try:
        for name in names or list(SHAPES):
            publish_shape(store, name, folder)
    finally:
        store.close()
    return path
