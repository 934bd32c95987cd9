"""Plotly figure builders: a small DataFrame in, a go.Figure out."""
