"""Scoring: scores and decisions per section, the official metrics and score rules, and the
mean and spread over trials."""
