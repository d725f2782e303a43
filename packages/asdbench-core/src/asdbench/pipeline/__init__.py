"""Orchestration: a run resolved from options, its trials and cells, on this machine or on Ray."""
