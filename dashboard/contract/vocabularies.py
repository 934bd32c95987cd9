"""The vocabularies values are mapped to: channels, journey stages, relationship stages (each with synonyms), initiators."""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboard.contract.names import normalise


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
