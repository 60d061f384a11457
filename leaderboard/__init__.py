"""Leaderboard: result files -> leaderboard.csv, leaderboard.html and plots; the paper's numbers as reference rows."""

from leaderboard.build import CSV_HEADER, build

__all__ = ["CSV_HEADER", "build"]
