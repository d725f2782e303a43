"""The challenge-style leaderboard, in layers: :mod:`.records` reads the logged cells from
MLflow, :mod:`.board` aggregates them into rows, :mod:`.render` and :mod:`.table1` print them,
:mod:`.publish` makes an experiment its own leaderboard in the MLflow UI."""
