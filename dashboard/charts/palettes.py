"""Every identity colour in one place: a channel palette and a stage palette that share no colour, so a colour read
on one chart never means a channel there and a stage on the next.

Channels take Okabe-Ito's colour-blind-safe colours (and a few strong ones); journey and relationship stages take
Paul Tol's muted and light schemes. Grey means "other" or "unknown" in both and is the only colour they share.
"""

from __future__ import annotations

GREY = "#8C8C8C"
"""Other, unknown or not yet classified: the one colour channels and stages share."""

CHANNEL_COLOURS = {
    "phone": "#0072B2",  # blue
    "ivr": "#56B4E9",  # sky blue
    "web": "#E69F00",  # orange
    "app": "#009E73",  # bluish green
    "email": "#CC79A7",  # reddish purple
    "chat": "#D55E00",  # vermillion
    "social": "#EE3377",  # magenta
    "store": "#332288",  # indigo
    "mail": "#F0E442",  # yellow
    "field": "#5D3A9B",  # violet
    "other": GREY,
}
CHANNEL_EXTRA = ("#0077BB", "#33BBEE", "#009988", "#004488", "#997700", "#EE7733", "#BB5566", "#000000")
"""Paul Tol's vibrant and high-contrast colours (and black) for channels outside the vocabulary, chosen by name."""

JOURNEY_STAGE_COLOURS = {
    "awareness": "#88CCEE",  # cyan
    "consideration": "#6699CC",  # medium blue
    "purchase": "#117733",  # green
    "onboarding": "#44AA99",  # teal
    "usage": "#999933",  # olive
    "billing": "#DDCC77",  # sand
    "support": "#AA4499",  # purple
    "complaint": "#CC6677",  # rose
    "renewal": "#882255",  # wine
    "exit": "#661100",  # brown
}
RELATIONSHIP_STAGE_COLOURS = {
    # prospect to advocate as a progression (cyan, blue, teal, green, purple); the off-ramps warm (amber, red)
    "prospect": "#88CCEE",
    "first purchase": "#6699CC",
    "repeat": "#44AA99",
    "loyal": "#117733",
    "advocate": "#AA4499",
    "at risk": "#DDAA33",
    "defected": "#CC3311",
}
STAGE_EXTRA = ("#77AADD", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00", "#EEDD88", "#EE8866", "#FFAABB")
"""Paul Tol's light colours for journey stages outside the vocabulary, chosen by name."""
