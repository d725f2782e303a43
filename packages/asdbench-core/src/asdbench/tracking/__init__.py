"""Tracking: the MLflow schema and store, the tracker that writes runs, the journal kept while a
server is away.
"""
