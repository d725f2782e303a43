"""``asdbench plugins`` and ``asdbench list``: what is installed and what it offers."""

from __future__ import annotations

import json

import click

from asdbench.contracts import KINDS
from asdbench.pipeline.config import DEFAULT_COMPONENTS
from asdbench.registry.components import Component, components, normalise_kind
from asdbench.registry.manager import PluginInfo, get_plugins
from asdbench.registry.options import Option
from asdbench.registry.presets import Preset, presets
from asdbench.training.settings import train_options


def _registered() -> dict[str, list[dict[str, str]]]:
    """Plugin name -> the components it registers (every hook called once)."""
    found: dict[str, list[dict[str, str]]] = {}
    for kind in KINDS:
        for component in components(kind).values():
            found.setdefault(component.plugin.name, []).append(
                {"kind": kind, "name": component.name}
            )
    for preset in presets().values():
        found.setdefault(preset.plugin.name, []).append({"kind": "preset", "name": preset.name})
    return found


def _record(info: PluginInfo, registered: dict[str, list[dict[str, str]]]) -> dict[str, object]:
    record: dict[str, object] = {
        "name": info.name,
        "distribution": info.distribution,
        "version": info.version,
        "builtin": info.builtin,
        "hooks": info.hooks,
        "components": [] if info.error else registered.get(info.name, []),
    }
    if info.error:
        record["error"] = info.error
    return record


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins of core.")
@click.option("--requirements", is_flag=True, help="Print name==version lines for pip.")
def plugins_command(as_json: bool, show_all: bool, requirements: bool) -> None:
    """List installed plugins: distribution, version, hooks and the components they register.

    Plugins that failed to load are listed with their error.
    """
    plugins = get_plugins()
    infos = [i for i in plugins.info() if show_all or not i.builtin] + plugins.failures
    if requirements:
        lines = sorted({f"{i.distribution}=={i.version}" for i in infos if i.distribution})
        click.echo("\n".join(lines))
        return
    registered = _registered()
    records = [_record(info, registered) for info in infos]
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    if not records:
        click.echo("No plugins installed." + ("" if show_all else " (--all shows built-ins)"))
    for record in records:
        origin = f"{record['distribution']} {record['version']}" if record["distribution"] else ""
        click.echo(f"{record['name']}  {origin}".rstrip())
        if "error" in record:
            click.echo(f"  FAILED TO LOAD: {record['error']}")
            continue
        for item in record["components"]:
            click.echo(f"  {item['kind']}: {item['name']}")


def _option_lines(options: list[Option], indent: str) -> list[str]:
    """``name: type = default`` in a column, then the option's description."""
    heads = [f"{o.name}: {o.type_name} = {o.describe_default()}" for o in options]
    width = max((len(h) for h in heads), default=0)
    return [
        f"{indent}{head:<{width}}  {o.description}".rstrip()
        for head, o in zip(heads, options, strict=True)
    ]


def _component_record(component: Component) -> dict[str, object]:
    return {
        "kind": component.kind,
        "name": component.name,
        "summary": component.spec.summary,
        "plugin": component.plugin.name,
        "distribution": component.plugin.distribution,
        "version": component.plugin.version,
        "options": [o.as_json() for o in component.options()],
    }


def _preset_record(preset: Preset) -> dict[str, object]:
    return {
        "name": preset.name,
        "version": preset.spec.version,
        "summary": preset.spec.summary,
        "plugin": preset.plugin.name,
        "distribution": preset.plugin.distribution,
        "plugin_version": preset.plugin.version,
        "values": dict(preset.spec.values),
    }


def _preset_lines() -> list[str]:
    found = presets()
    lines = [f"preset ({len(found)})"]
    for preset in found.values():
        origin = preset.plugin.distribution or preset.plugin.name
        lines.append(f"  {preset.label}  {preset.spec.summary}  [{origin}]")
        values = sorted(preset.spec.values.items(), key=lambda item: ("." in item[0], item[0]))
        lines.extend(f"      {key} = {value!r}" for key, value in values)
    return lines


PRESET_KINDS = ("preset", "presets")
TRAIN_KIND = "train"


@click.command(
    "list", short_help="List the components, training settings and presets; a kind's options."
)
@click.argument(
    "kind",
    required=False,
    type=click.Choice([*KINDS, *(k.plural for k in KINDS.values()), TRAIN_KIND, *PRESET_KINDS]),
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: every component with its options (type, default, description).",
)
def list_command(kind: str | None, as_json: bool) -> None:
    """Without KIND: every registered component, one line each, the training settings and the
    presets; (default) marks what a run takes when it names none. With KIND (loss, embedder,
    backend, dataset, ensemble, train or preset): each of its components with its options, the
    training settings (train.*) with theirs, or the presets with their values. --json gives
    everything. Set any option with --set KIND.OPTION=VALUE; use a preset with run --preset
    NAME."""
    if kind == TRAIN_KIND:
        if as_json:
            click.echo(json.dumps([o.as_json() for o in train_options().values()], indent=2))
        else:
            click.echo(f"train ({len(train_options())} settings of the training loop)")
            click.echo("\n".join(_option_lines(list(train_options().values()), "      ")))
        return
    if kind in PRESET_KINDS:
        if as_json:
            click.echo(json.dumps([_preset_record(p) for p in presets().values()], indent=2))
        else:
            click.echo("\n".join(_preset_lines()))
        return
    kinds = [normalise_kind(kind)] if kind else list(KINDS)
    if as_json:
        payload: dict[str, object] = {
            each: [_component_record(c) for c in components(each).values()] for each in kinds
        }
        if kind is None:
            payload["train"] = [o.as_json() for o in train_options().values()]
            payload["preset"] = [_preset_record(p) for p in presets().values()]
        click.echo(json.dumps(payload, indent=2))
        return
    for index, each in enumerate(kinds):
        if index:
            click.echo()
        found = components(each)
        click.echo(f"{each} ({len(found)})")
        for component in found.values():
            origin = component.plugin.distribution or component.plugin.name
            default = "  (default)" if DEFAULT_COMPONENTS.get(each) == component.name else ""
            click.echo(f"  {component.name}  {component.spec.summary}  [{origin}]{default}")
            if kind is not None:
                for line in _option_lines(component.options(), "      "):
                    click.echo(line)
    if kind is None:
        settings = ", ".join(train_options())
        click.echo(f"\ntrain ({len(train_options())}): {settings}")
        found_presets = presets()
        click.echo(f"\npreset ({len(found_presets)})")
        for preset in found_presets.values():
            origin = preset.plugin.distribution or preset.plugin.name
            click.echo(f"  {preset.label}  {preset.spec.summary}  [{origin}]")
        click.echo(
            "\nOptions and values: asdbench list KIND (loss, embedder, backend, dataset, "
            "ensemble, train, preset)."
        )
