"""Scoring: back ends, official metrics, scores and decisions, submission files, evaluating a
submission.
"""
