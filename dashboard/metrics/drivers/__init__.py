"""Drivers: what goes with defection, low satisfaction and conversion, how strongly, and what fixing it is worth."""
