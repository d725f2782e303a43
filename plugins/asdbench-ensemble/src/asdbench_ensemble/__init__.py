"""Score ensembles across trials for asdbench."""
