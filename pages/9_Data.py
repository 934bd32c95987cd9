"""Data: bring your own extracts (upload, map, check, publish), and manage datasets and mapping templates."""

from dashboard.ui import frame
from dashboard.ui.views import data as data_views

ctx = frame.page(
    "Data",
    needs_data=False,
    intro="Upload extracts, map their columns, read the validation report, publish; manage datasets and mapping templates.",
)
section = data_views.section_picker(ctx)
if section == "Upload":
    data_views.render_upload(ctx)
elif section == "Datasets":
    data_views.render_datasets(ctx)
else:
    data_views.render_templates(ctx)
