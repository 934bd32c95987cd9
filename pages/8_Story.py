"""Story: a guided walk for a workshop, from where we stand to the decisions, with notes kept per dataset."""

from dashboard.ui import frame
from dashboard.ui.views import story

ctx = frame.page(
    "Story",
    intro="Six steps for a workshop: where we stand, journey pain points, perfect behaviours, what-if, defection, "
    "decisions. Each step shows the live figures; notes are saved with the dataset.",
)
story.render(ctx)
