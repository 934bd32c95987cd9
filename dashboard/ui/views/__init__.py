"""Page sections that draw things, one module per view, reusable by the workshop Story page."""
