"""Reporting: results tables, the leaderboard and figures."""
