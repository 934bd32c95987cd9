"""Funnel: relationship stages, how customers convert and move between them, and what each stage is worth."""

from dashboard.ui import frame
from dashboard.ui.views import funnel as view

ctx = frame.page(
    "Funnel",
    intro="Customers by relationship stage, from prospect to advocate: conversion, movement up and down, "
    "time in each stage, and whether moving customers up pays.",
)
model = view.stage_model(ctx)
tabs = view.page_tabs(ctx)

with tabs["Funnel"]:
    if view.is_open(tabs["Funnel"]):
        counts = view.render_stage_funnel(ctx, model)
        view.render_rules_in_words(ctx, model)
        view.render_breakdown(ctx, model)
        view.render_cohorts(ctx, model)
        view.render_stage_drill(ctx, model, counts)

with tabs["Sales funnel"]:
    if view.is_open(tabs["Sales funnel"]):
        view.render_sales_funnel(ctx)

with tabs["Movement"]:
    if view.is_open(tabs["Movement"]):
        view.render_movement(ctx, model)
        view.render_time_in_stage(ctx, model)

with tabs["Economics"]:
    if view.is_open(tabs["Economics"]):
        spec = view.economics_spec(ctx, model)
        view.render_checks(ctx, spec)
        view.render_economics(ctx, spec)
        view.render_cost_settings(ctx, spec)

if "Stage rules" in tabs:
    with tabs["Stage rules"]:
        if view.is_open(tabs["Stage rules"]):
            view.render_model_editor(ctx, model)
