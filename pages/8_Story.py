"""Story: a guided walk for a workshop, from where we stand to the decisions, with notes kept per dataset."""

from dashboard.ui import frame
from dashboard.ui.views import story

ctx = frame.page("Story")
story.render(ctx)
