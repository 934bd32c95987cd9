"""The three contract tables: their columns, types, required columns and the synonyms of each column's name."""

from __future__ import annotations

from dataclasses import dataclass

TEXT, DATE, TIMESTAMP, NUMBER, INTEGER, BOOLEAN = (
    "text",
    "date",
    "timestamp",
    "number",
    "integer",
    "boolean",
)

SQL_TYPES = {
    TEXT: "varchar",
    DATE: "date",
    TIMESTAMP: "timestamp",
    NUMBER: "double",
    INTEGER: "bigint",
    BOOLEAN: "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its name, type, whether required, and header synonyms."""

    name: str
    type: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    description: str = ""

    @property
    def sql_type(self) -> str:
        """The DuckDB type the column is stored as."""
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One contract table: its name, what a row is, and its columns in order."""

    name: str
    row: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """The column called name (KeyError when the contract has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns a file must provide."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of all contract columns, in order."""
        return tuple(c.name for c in self.columns)


_CUSTOMER_ID_SYNONYMS = (
    "customerid",
    "custid",
    "customer",
    "customerno",
    "customernumber",
    "customerkey",
    "clientid",
    "client",
    "accountid",
    "accountnumber",
    "accountno",
    "account",
    "userid",
    "memberid",
    "customeruniqueid",
    "consumerid",
    "subscriberid",
    "requesterid",
    "callerid",
    "caller",
    "buyerid",
)

CUSTOMERS = Table(
    name="customers",
    row="one row per customer, prospects included",
    unique_key=("customer_id",),
    columns=(
        Column("customer_id", TEXT, True, _CUSTOMER_ID_SYNONYMS, "the customer's identifier"),
        Column(
            "segment",
            TEXT,
            False,
            ("customersegment", "segmentname", "tier", "customertype", "type", "industry", "accounttype"),
            "customer segment",
        ),
        Column(
            "region",
            TEXT,
            False,
            (
                "area",
                "territory",
                "country",
                "state",
                "province",
                "zone",
                "market",
                "customerstate",
                "billingstate",
                "billingstateprovince",
                "statecode",
                "consumerstate",
            ),
            "region",
        ),
        Column(
            "signup_date",
            DATE,
            False,
            (
                "signupdate",
                "joindate",
                "joined",
                "startdate",
                "customersince",
                "createddate",
                "createdat",
                "opendate",
                "acquisitiondate",
                "registrationdate",
                "accountcreated",
                "firstorderdate",
            ),
            "the day the customer (or lead) was acquired",
        ),
        Column("stage", TEXT, False, ("relationshipstage", "lifecyclestage", "lifecycle", "status"), "relationship stage"),
        Column(
            "satisfaction", NUMBER, False, ("csat", "sat", "satisfactionscore", "nps", "score", "rating"), "satisfaction score"
        ),
        Column(
            "churned", BOOLEAN, False, ("churn", "churnflag", "defected", "lost", "exited", "attrited", "cancelled"), "has left"
        ),
        Column(
            "churn_date",
            DATE,
            False,
            ("churndate", "enddate", "canceldate", "cancellationdate", "leftdate", "exitdate"),
            "the day the customer left",
        ),
        Column(
            "churn_reason",
            TEXT,
            False,
            ("churnreason", "reason", "cancelreason", "exitreason", "leavereason"),
            "why the customer left",
        ),
        Column("referrals", INTEGER, False, ("referralcount", "numreferrals", "referred"), "customers referred"),
        Column(
            "acquisition_cost",
            NUMBER,
            False,
            ("acquisitioncost", "cac", "costofacquisition", "marketingcost"),
            "cost of acquiring the customer",
        ),
        Column(
            "churn_category",
            TEXT,
            False,
            ("churncategory", "churntype", "churngroup", "reasoncategory", "cancellationcategory", "attritioncategory"),
            "the kind of reason the customer left (a category above churn_reason)",
        ),
        Column(
            "lifetime_value",
            NUMBER,
            False,
            ("ltv", "clv", "cltv", "lifetimevalue", "customerlifetimevalue", "customervalue", "totallifetimevalue"),
            "the company's own lifetime value of the customer (shown beside CX Lens's estimate)",
        ),
    ),
)

TRANSACTIONS = Table(
    name="transactions",
    row="one row per purchase, bill or payment",
    columns=(
        Column("customer_id", TEXT, True, _CUSTOMER_ID_SYNONYMS, "who bought"),
        Column(
            "ts",
            TIMESTAMP,
            True,
            (
                "invoicedate",
                "orderdate",
                "date",
                "timestamp",
                "datetime",
                "transactiondate",
                "purchasedate",
                "billdate",
                "time",
                "createdat",
                "orderpurchasetimestamp",
                "paymentdate",
                "billingdate",
                "chargedate",
                "posteddate",
            ),
            "when",
        ),
        Column(
            "amount",
            NUMBER,
            True,
            (
                "amt",
                "total",
                "totalamount",
                "revenue",
                "sales",
                "value",
                "billamount",
                "spend",
                "dollarvalue",
                "netamount",
                "grossamount",
                "paymentvalue",
                "paymentamount",
                "amountpaid",
                "invoiceamount",
                "ordertotal",
                "grandtotal",
            ),
            "money; negative for refunds and cancellations",
        ),
        Column(
            "transaction_id",
            TEXT,
            False,
            (
                "transactionid",
                "invoiceno",
                "invoice",
                "invoiceid",
                "orderid",
                "orderno",
                "billid",
                "txid",
                "ordernumber",
                "paymentid",
                "chargeid",
            ),
            "identifier",
        ),
        Column(
            "product",
            TEXT,
            False,
            ("productname", "item", "sku", "stockcode", "description", "category", "productcategoryname", "productid"),
            "what was bought",
        ),
        Column("channel", TEXT, False, ("saleschannel", "paymentchannel", "source"), "where it was bought or paid"),
        Column("cost", NUMBER, False, ("costtoserve", "servicecost", "billingcost"), "cost to the company"),
    ),
)

INTERACTIONS = Table(
    name="interactions",
    row="one row per touchpoint",
    columns=(
        Column("customer_id", TEXT, True, _CUSTOMER_ID_SYNONYMS, "who"),
        Column(
            "ts",
            TIMESTAMP,
            True,
            (
                "date",
                "timestamp",
                "datetime",
                "contactdate",
                "interactiondate",
                "eventdate",
                "createdat",
                "opened",
                "time",
                "starttime",
                "datereceived",
                "receiveddate",
                "datesubmitted",
                "calldate",
                "callstarttime",
                "contactstart",
                "ticketcreated",
                "createddate",
            ),
            "when",
        ),
        Column(
            "channel",
            TEXT,
            True,
            (
                "contactchannel",
                "medium",
                "via",
                "source",
                "touchpoint",
                "submittedvia",
                "receivedvia",
                "channelname",
                "contacttype",
                "origin",
                "ticketchannel",
                "mediatype",
                "contactmethod",
            ),
            "channel",
        ),
        Column("stage", TEXT, False, ("journeystage", "step", "phase"), "journey stage"),
        Column(
            "reason",
            TEXT,
            False,
            (
                "contactreason",
                "topic",
                "issue",
                "category",
                "subject",
                "intent",
                "calltype",
                "reasonforcall",
                "disposition",
                "ticketsubject",
                "complainttype",
            ),
            "why",
        ),
        Column(
            "initiated_by",
            TEXT,
            False,
            ("initiatedby", "initiator", "direction", "inbound", "calldirection", "inboundoutbound"),
            "customer or company",
        ),
        Column("resolved", BOOLEAN, False, ("isresolved", "resolvedflag", "fcr", "solved"), "whether it was resolved"),
        Column(
            "resolved_ts",
            TIMESTAMP,
            False,
            (
                "resolvedts",
                "resolvedat",
                "resolveddate",
                "closedat",
                "closeddate",
                "resolutiondate",
                "solvedat",
                "closedtime",
                "resolvedtime",
            ),
            "when resolved",
        ),
        Column(
            "satisfaction",
            NUMBER,
            False,
            ("csat", "sat", "rating", "score", "satisfactionrating", "csatscore", "satisfactionscore", "reviewscore"),
            "satisfaction with the touchpoint",
        ),
        Column("effort", NUMBER, False, ("ces", "customereffort", "effortscore"), "customer effort"),
        Column("cost", NUMBER, False, ("contactcost", "handlingcost", "costtoserve"), "cost to the company"),
        Column(
            "contact_id",
            TEXT,
            False,
            (
                "contactid",
                "callid",
                "caseid",
                "casenumber",
                "ticketid",
                "ticketnumber",
                "interactionid",
                "conversationid",
                "complaintid",
                "callreference",
            ),
            "the contact or case a touchpoint belongs to (its steps share it)",
        ),
        Column(
            "wait_s",
            NUMBER,
            False,
            ("queuetime", "waittime", "holdtime", "waitseconds", "queueseconds", "timeinqueue", "waitingtime", "speedofanswer"),
            "seconds the customer waited (queue, hold)",
        ),
        Column(
            "handle_s",
            NUMBER,
            False,
            ("talktime", "handletime", "handlingtime", "handlingseconds", "aht", "callduration", "talkseconds", "servicetime"),
            "seconds the touchpoint was handled (talk, service)",
        ),
        Column(
            "abandoned",
            BOOLEAN,
            False,
            ("isabandoned", "callabandoned", "abandon", "abandonedcall", "hungup"),
            "whether the customer gave up before being served",
        ),
        Column(
            "due_ts",
            TIMESTAMP,
            False,
            (
                "duedate",
                "due",
                "sladuedate",
                "deadline",
                "promiseddate",
                "promisedby",
                "estimateddeliverydate",
                "expecteddeliverydate",
                "targetdate",
                "responsedue",
            ),
            "when it was promised to be resolved",
        ),
        Column(
            "on_time",
            BOOLEAN,
            False,
            ("timelyresponse", "ontime", "timely", "withinsla", "slamet", "metsla", "deliveredontime", "slaachieved"),
            "whether it was resolved by its promise (the system's own on-time flag)",
        ),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, TRANSACTIONS, INTERACTIONS)}
