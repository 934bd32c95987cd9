"""The relationship-stage funnel: the stage model, counts per stage and movement between stages."""
