"""Data: bring your own extracts (upload, map, check, publish), and manage datasets and mapping templates."""

from dashboard.ui import frame
from dashboard.ui.views.data import datasets, sections, templates, upload

ctx = frame.page(
    "Data",
    needs_data=False,
    intro="Upload extracts, map their columns, read the validation report, publish; manage datasets and mapping templates.",
)
section = sections.section_picker(ctx)
if section == "Upload":
    upload.render_upload(ctx)
elif section == "Datasets":
    datasets.render_datasets(ctx)
else:
    templates.render_templates(ctx)
