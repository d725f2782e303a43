import pytest

pytest_plugins = ["asdbench.testing"]


@pytest.fixture(autouse=True)
def _isolated_plugins(asdbench_plugins, monkeypatch):
    """Core tests see only core's built-in plugins, whatever else is installed, and plugin
    environment variables of the developer's shell do not leak in."""
    for variable in (
        "ASDBENCH_LOAD_PLUGINS",
        "ASDBENCH_DISABLE_PLUGINS",
        "ASDBENCH_STRICT_PLUGINS",
        "ASDBENCH_TRACE_PLUGINS",
    ):
        monkeypatch.delenv(variable, raising=False)
    return asdbench_plugins


@pytest.fixture
def make_distribution(tmp_path, monkeypatch):
    """Write a real plugin distribution (a ``.dist-info`` folder with ``entry_points.txt`` and
    its module) on ``sys.path``; ``importlib.metadata`` discovers it exactly as it discovers a
    pip-installed package."""
    import sys
    import textwrap

    monkeypatch.syspath_prepend(str(tmp_path))
    modules = []

    def make(distribution: str, source: str, *, version: str = "1.0", entry_name: str = "") -> None:
        module = distribution.replace("-", "_")
        modules.append(module)
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{module}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        entry = entry_name or module
        (info / "entry_points.txt").write_text(f"[asdbench]\n{entry} = {module}\n")

    yield make
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """The default synthetic dataset, written once per test session."""
    from asdbench.synthetic import SyntheticDataset, ensure_tree

    return ensure_tree(
        tmp_path_factory.mktemp("synthetic") / "tree", SyntheticDataset().plan, progress=False
    )


@pytest.fixture
def tree_dataset(register_plugin):
    """Registers ``tree``: any folder in the DCASE layout, with no year facts (a dataset
    plugin in miniature, since core's tests do not install the dcase plugin)."""
    import asdbench
    from asdbench.data.datasets import DcaseLayoutDataset

    class TreeDataset(DcaseLayoutDataset):
        name = "tree"

    class TreePlugin:
        @asdbench.hookimpl
        def asdbench_datasets(self):
            yield asdbench.DatasetSpec(name="tree", factory=TreeDataset, summary="any DCASE tree")

    register_plugin(TreePlugin(), "tree")
