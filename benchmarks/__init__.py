"""Speed and memory measurements (not tests): each view against DuckDB's own scan and plain pandas."""
