"""``asdbench models``: the published checkpoints the pretrained embedders read."""

from __future__ import annotations

import json

import click

from asdbench_pretrained.published import KNOWN


@click.command("models", short_help="List the published checkpoints of the pretrained encoders.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def models_command(fmt: str) -> None:
    """List each published checkpoint the pretrained embedders read: the embedder that reads
    it, where it is published, its licence and its size. Download the file yourself and pass
    its path with --set embedder.checkpoint=PATH; nothing is downloaded for you."""
    if fmt == "json":
        listed = [{**vars(known), "size_mb": known.size_mb} for known in KNOWN]
        click.echo(json.dumps(listed, indent=2))
        return
    for known in KNOWN:
        size = f"{known.parameters_m}M parameters, about {known.size_mb} MB"
        click.echo(f"{known.name}  (embedder {known.embedder}, {size}, {known.licence})")
        click.echo(f"    {known.summary}")
        click.echo(f"    {known.url}")
    click.echo("Use one: --set embedder.checkpoint=PATH (asdbench list embedders)")
