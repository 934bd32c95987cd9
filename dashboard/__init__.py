"""CX Lens: customer-experience dashboard library (DuckDB metrics, plotly charts, ingest)."""
