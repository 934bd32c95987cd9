"""Defection: who defected or is at risk, why, and what they were worth (lifetime value)."""
