"""The plugin manager: entry-point loading, failures, environment controls, tracing."""

import pytest

import asdbench
from asdbench.errors import PluginError
from asdbench.registry.components import components
from asdbench.registry.manager import Plugins

LOSS_PLUGIN = """
import asdbench

@asdbench.hookimpl
def asdbench_losses():
    yield asdbench.LossSpec(name="{name}", factory="torch.nn:MSELoss", summary="test loss")
"""


def test_entry_point_plugin_is_loaded_with_its_distribution(make_distribution):
    make_distribution("asdbench-good", LOSS_PLUGIN.format(name="good"), version="2.5")
    plugins = Plugins()
    [info] = [i for i in plugins.info() if i.name == "asdbench_good"]
    assert (info.distribution, info.version, info.hooks) == (
        "asdbench-good",
        "2.5",
        ["asdbench_losses"],
    )
    assert components("loss", plugins)["good"].plugin.distribution == "asdbench-good"


def test_plugin_that_raises_on_import_is_reported_and_others_load(make_distribution, capsys):
    make_distribution("asdbench-broken", "raise RuntimeError('boom at import')")
    make_distribution("asdbench-good", LOSS_PLUGIN.format(name="good"))
    plugins = Plugins()
    [failure] = plugins.failures
    assert failure.distribution == "asdbench-broken"
    assert "RuntimeError: boom at import" in failure.error
    assert "asdbench-broken" in capsys.readouterr().err
    assert "good" in components("loss", plugins)


def test_strict_mode_makes_a_broken_plugin_fatal(make_distribution, monkeypatch):
    make_distribution("asdbench-broken", "raise RuntimeError('boom at import')")
    monkeypatch.setenv("ASDBENCH_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"asdbench-broken.*boom at import"):
        Plugins()


def test_disable_blocks_by_plugin_or_distribution_name(make_distribution, monkeypatch):
    make_distribution("asdbench-broken", "raise RuntimeError('boom')", entry_name="broken")
    make_distribution("asdbench-good", LOSS_PLUGIN.format(name="good"), entry_name="good")
    monkeypatch.setenv("ASDBENCH_DISABLE_PLUGINS", "broken, asdbench_good")
    plugins = Plugins()
    assert not plugins.failures
    assert "good" not in components("loss", plugins)


def test_load_plugins_is_an_allowlist_of_distributions(make_distribution, monkeypatch):
    make_distribution("asdbench-good", LOSS_PLUGIN.format(name="good"))
    make_distribution("asdbench-other", LOSS_PLUGIN.format(name="other"))
    monkeypatch.setenv("ASDBENCH_LOAD_PLUGINS", "asdbench-other")
    assert set(components("loss", Plugins())) == {"other"}
    monkeypatch.setenv("ASDBENCH_LOAD_PLUGINS", "")
    assert components("loss", Plugins()) == {}


def test_name_clash_names_both_distributions(make_distribution):
    make_distribution("asdbench-first", LOSS_PLUGIN.format(name="same"))
    make_distribution("asdbench-second", LOSS_PLUGIN.format(name="same"))
    with pytest.raises(PluginError) as error:
        components("loss", Plugins())
    message = str(error.value)
    assert "loss 'same' is registered twice" in message
    assert "asdbench-first 1.0" in message and "asdbench-second 1.0" in message


def test_unknown_hook_name_is_reported_as_a_failure(make_distribution):
    make_distribution(
        "asdbench-typo",
        """
        import asdbench

        @asdbench.hookimpl
        def asdbench_loses():
            return []
        """,
    )
    [failure] = Plugins().failures
    assert "asdbench_loses" in failure.error


def test_hook_that_raises_is_skipped_and_reported(register_plugin, capsys):
    class Faulty:
        @asdbench.hookimpl
        def asdbench_losses(self):
            raise ValueError("bad registration")

    class Fine:
        @asdbench.hookimpl
        def asdbench_losses(self):
            yield asdbench.LossSpec(name="fine", factory="torch.nn:MSELoss", summary="s")

    register_plugin(Faulty(), "faulty")
    register_plugin(Fine(), "fine")
    assert list(components("loss")) == ["fine"]
    assert "plugin 'faulty' failed in asdbench_losses: ValueError: bad registration" in (
        capsys.readouterr().err
    )


def test_trace_prints_each_hook_call(make_distribution, monkeypatch, capsys):
    make_distribution("asdbench-good", LOSS_PLUGIN.format(name="good"))
    monkeypatch.setenv("ASDBENCH_TRACE_PLUGINS", "1")
    components("loss", Plugins())
    assert "asdbench trace: asdbench_losses [asdbench_good] -> [LossSpec(name='good'" in (
        capsys.readouterr().err
    )


def test_wrong_record_type_is_an_error(register_plugin):
    class Wrong:
        @asdbench.hookimpl
        def asdbench_losses(self):
            yield asdbench.BackendSpec(name="oops", factory="x:y", summary="s")

    register_plugin(Wrong(), "wrong")
    with pytest.raises(PluginError, match="yielded BackendSpec from asdbench_losses"):
        components("loss")


def test_unregistered_plugin_is_gone(register_plugin, asdbench_plugins):
    class Temporary:
        @asdbench.hookimpl
        def asdbench_losses(self):
            yield asdbench.LossSpec(name="temp", factory="torch.nn:MSELoss", summary="s")

    register_plugin(Temporary(), "temporary")
    assert "temp" in asdbench.available("loss")
    asdbench_plugins.unregister("temporary")
    assert "temp" not in asdbench.available("loss")


def test_spec_names_are_checked():
    with pytest.raises(ValueError, match="invalid loss name"):
        asdbench.LossSpec(name="has space", factory="x:y", summary="s")
