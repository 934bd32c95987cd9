"""Funnel: relationship stages, how customers convert and move between them, and what each stage is worth."""

from dashboard.ui import frame, state
from dashboard.ui.views import funnel as view

ctx = frame.page(
    "Funnel",
    intro="Customers by relationship stage, from prospect to advocate: conversion, movement up and down, "
    "time in each stage, and whether moving customers up pays.",
)
model = view.stage_model(ctx)
tabs = view.page_tabs(ctx)

with tabs["Funnel"]:
    if state.is_open(tabs["Funnel"]):
        counts = view.render_stage_funnel(ctx, model)
        view.render_rules_in_words(ctx, model)
        view.render_details(ctx, model, counts)  # breakdown, cohorts, customers in a stage

with tabs["Sales funnel"]:
    if state.is_open(tabs["Sales funnel"]):
        view.render_sales_funnel(ctx)

with tabs["Movement"]:
    if state.is_open(tabs["Movement"]):
        view.render_movement_tab(ctx, model)  # movement, a cell's customers, time in stage

with tabs["Economics"]:
    if state.is_open(tabs["Economics"]):
        view.render_economics_tab(ctx, model)  # the five checks, what each stage is worth, costs

if "Stage rules" in tabs:
    with tabs["Stage rules"]:
        if state.is_open(tabs["Stage rules"]):
            view.render_rules_tab(ctx)
