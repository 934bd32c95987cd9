"""Plain pandas implementations of the headline metrics: what most dashboards do, and a check on the SQL."""
