"""Page sections that draw things, reusable by the workshop Story page."""
