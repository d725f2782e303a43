"""Every ensemble passes the ensemble conformance kit."""

from asdbench.testing import EnsembleConformanceTests


class TestMean(EnsembleConformanceTests):
    factory = "mean"


class TestSum(EnsembleConformanceTests):
    factory = "sum"


class TestZscore(EnsembleConformanceTests):
    factory = "zscore"


class TestRank(EnsembleConformanceTests):
    factory = "rank"
