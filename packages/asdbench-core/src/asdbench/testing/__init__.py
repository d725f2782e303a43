"""Test kit for plugin authors: conformance base classes and pytest fixtures.

In a plugin's tests::

    # conftest.py
    pytest_plugins = ["asdbench.testing"]

    # test_my_loss.py
    from asdbench.testing import LossConformanceTests

    class TestMyLoss(LossConformanceTests):
        loss_factory = MyLoss                      # or the registered name, "my_loss"
        option_variants = {"margin_rad": 0.3}      # another valid value for every option
        invalid_options = {"margin_rad": -1.0}     # values the constructor must reject
"""

from asdbench.testing.fixtures import (
    _mlflow_template,
    asdbench_cache,
    asdbench_plugins,
    mlflow_tracking,
    register_plugin,
)
from asdbench.testing.losses import LossConformanceTests

__all__ = [
    "LossConformanceTests",
    "_mlflow_template",
    "asdbench_cache",
    "asdbench_plugins",
    "mlflow_tracking",
    "register_plugin",
]
