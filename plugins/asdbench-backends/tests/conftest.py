pytest_plugins = ["asdbench.testing"]
