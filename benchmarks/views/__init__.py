"""One module per view: its benchmark cases."""
