"""Entry point: the ensembles and the ``asdbench ensemble`` command (import-light)."""

import asdbench


@asdbench.hookimpl
def asdbench_ensembles():
    for name, summary in (
        ("mean", "Mean of the trials' anomaly scores (the AdaProj paper's ensemble of ten)"),
        ("sum", "Sum of the trials' anomaly scores"),
        ("zscore", "Mean of per-section standardised scores (training-clip statistics)"),
        ("rank", "Mean of per-section normalised ranks"),
    ):
        yield asdbench.EnsembleSpec(
            name=name,
            factory=f"asdbench_ensemble.combine:{name.capitalize()}Ensemble",
            summary=summary,
        )


@asdbench.hookimpl
def asdbench_commands(cli):
    from asdbench_ensemble.command import ensemble_command

    cli.add_command(ensemble_command)
