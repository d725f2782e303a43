"""Baseline losses for asdbench."""
