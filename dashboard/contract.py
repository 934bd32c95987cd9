"""The data contract: the three tables, their columns and types, synonyms, and vocabularies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

BEHAVIOUR_PREFIX = "b_"
"""Behaviour flags are boolean columns of `customers` named b_<behaviour key>."""
ATTRIBUTE_PREFIX = "a_"
"""Kept attributes are text columns of `customers` named a_<key>: a mapped column the contract does not name (contract
type, payment method), stored with the customer so Drivers can test its levels."""


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


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of labels with synonyms; unknown labels are kept as they are and reported."""

    name: str
    labels: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    ordered: bool = False

    def lookup(self) -> dict[str, str]:
        """Normalised label or synonym -> vocabulary label."""
        table = {normalise(label): label for label in self.labels}
        for label, words in self.synonyms.items():
            for word in words:
                table.setdefault(normalise(word), label)
        return table

    def map_label(self, raw: str | None) -> str | None:
        """The vocabulary label for raw, or None when it maps to nothing."""
        if raw is None:
            return None
        return self.lookup().get(normalise(str(raw)))


CHANNELS = Vocabulary(
    "channels",
    ("phone", "ivr", "web", "app", "email", "chat", "social", "store", "mail", "field", "other"),
    {
        "phone": (
            "call",
            "callcentre",
            "callcenter",
            "telephone",
            "voice",
            "contactcentre",
            "contactcenter",
            "agent",
            "customercarecall",
            "phonecall",
            "inboundcall",
            "tel",
            "hotline",
            "callcenter",
        ),
        "ivr": ("interactivevoiceresponse", "automatedphone", "voicebot"),
        "web": (
            "website",
            "online",
            "portal",
            "selfserviceportal",
            "internet",
            "webform",
            "webreferral",
            "onlineform",
            "contactform",
        ),
        "app": ("mobileapp", "mobile", "smartphone", "ios", "android"),
        "email": ("e-mail", "emailmessage", "electronicmail"),
        "chat": ("livechat", "webchat", "chatbot", "messaging", "whatsapp", "sms", "text"),
        "social": ("socialmedia", "twitter", "facebook", "x", "instagram"),
        "store": ("shop", "branch", "office", "walkin", "inperson", "retail"),
        "mail": ("post", "letter", "postal", "paper", "postalmail", "fax", "mailin"),
        "field": ("fieldservice", "technician", "visit", "onsite", "engineer"),
        "other": ("unknown", "misc", "referral"),
    },
)

JOURNEY_STAGES = Vocabulary(
    "journey stages",
    ("awareness", "consideration", "purchase", "onboarding", "usage", "billing", "support", "complaint", "renewal", "exit"),
    {
        "awareness": ("aware", "discover", "discovery", "marketing"),
        "consideration": ("consider", "research", "evaluate", "evaluation", "quote", "presales"),
        "purchase": ("buy", "order", "signup", "sale", "sales", "acquisition", "contract"),
        "onboarding": ("onboard", "welcome", "setup", "installation", "activation", "connect", "movein"),
        "usage": ("use", "service", "consumption", "engagement"),
        "billing": ("bill", "invoice", "payment", "pay", "collections"),
        "support": ("help", "servicerequest", "enquiry", "inquiry", "question", "care"),
        "complaint": ("complaints", "escalation", "dispute", "grievance"),
        "renewal": ("renew", "retention", "loyalty", "upgrade", "upsell"),
        "exit": ("churn", "cancel", "cancellation", "leave", "moveout", "termination", "closure"),
    },
    ordered=True,
)

RELATIONSHIP_STAGES = Vocabulary(
    "relationship stages",
    ("prospect", "first purchase", "repeat", "loyal", "advocate", "at risk", "defected"),
    {
        "prospect": ("lead", "suspect", "prospects"),
        "first purchase": ("firstpurchase", "new", "newcustomer", "firsttime", "trial"),
        "repeat": ("repeatcustomer", "returning", "client"),
        "loyal": ("loyalcustomer", "member", "regular"),
        "advocate": ("promoter", "champion", "partner", "ambassador"),
        "at risk": ("atrisk", "risk", "lapsing", "dormant"),
        "defected": ("churned", "lost", "former", "inactive", "cancelled"),
    },
    ordered=True,
)

VOCABULARIES: dict[str, Vocabulary] = {
    "channel": CHANNELS,
    "journey_stage": JOURNEY_STAGES,
    "relationship_stage": RELATIONSHIP_STAGES,
}

INITIATORS = ("customer", "company")

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(header: str) -> str:
    """Header or label reduced to lowercase letters and digits, for synonym matching."""
    return _NON_ALNUM.sub("", str(header).strip().lower())


def auto_map(table: str, headers: list[str]) -> dict[str, str]:
    """Contract column -> file header, matched by exact name first, then by synonym; each header used once."""
    spec = TABLES[table]
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise(header), header)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for rank in ("name", "synonym"):
        for col in spec.columns:
            if col.name in mapping:
                continue
            candidates = (normalise(col.name),) if rank == "name" else tuple(normalise(s) for s in col.synonyms)
            for candidate in candidates:
                header = by_norm.get(candidate)
                if header is not None and header not in used:
                    mapping[col.name] = header
                    used.add(header)
                    break
    return mapping


def behaviour_column(key: str) -> str:
    """The customers column that holds behaviour key as a flag."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", key):
        raise ValueError(f"behaviour key {key!r} must be lowercase letters, digits and underscores")
    return BEHAVIOUR_PREFIX + key


def attribute_column(key: str) -> str:
    """The customers column that holds a kept attribute called key."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", key):
        raise ValueError(f"attribute key {key!r} must be lowercase letters, digits and underscores")
    return ATTRIBUTE_PREFIX + key


def extra_column_type(name: str) -> str | None:
    """The type of a customers column beyond the contract: boolean for a b_ flag, text for an a_ attribute, else None."""
    for prefix, kind, check in ((BEHAVIOUR_PREFIX, BOOLEAN, behaviour_column), (ATTRIBUTE_PREFIX, TEXT, attribute_column)):
        if name.startswith(prefix):
            check(name[len(prefix) :])
            return kind
    return None


def behaviour_keys(columns: list[str]) -> list[str]:
    """Behaviour keys present among a customers table's columns."""
    return [c[len(BEHAVIOUR_PREFIX) :] for c in columns if c.startswith(BEHAVIOUR_PREFIX)]


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def parse_bool(value: object) -> bool | None:
    """Boolean-like value (Yes/No, Y/N, 1/0, true/false) as bool; None when blank; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "nan", "none", "null"):
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a yes/no value")
