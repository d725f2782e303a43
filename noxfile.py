"""Developer sessions. pip virtual environments (never uv: it ignores the local CPU torch).

nox -s tests             everything, as the README's test command
nox -s lint              ruff check + format check
nox -s "package(asdbench-core)"   one package alone with only its declared dependencies
nox -s build             wheels and sdists of the eight packages in dist/, twine-checked
nox -s demo              the README's main job
nox -s bench             benchmarks (opt-in, slow)
"""

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
TORCH = "torch==2.13.0"  # the CPU build on disk; a range in each package admits any other
CORE = ROOT / "packages" / "asdbench-core"
PACKAGES = {
    path.parent.name: path.parent
    for path in sorted(
        [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("plugins/*/pyproject.toml")]
    )
}


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-r", "requirements-dev.txt")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
@nox.parametrize("package", list(PACKAGES))
def package(session: nox.Session, package: str) -> None:
    """Install one package (non-editable) with only its declared dependencies; run its tests.

    First-party dependencies are not on an index here, so their local folders are offered too.
    """
    path = PACKAGES[package]
    session.install(TORCH)
    local = [str(CORE)] if path != CORE else []
    if package == "asdbench":
        local = [str(p) for name, p in PACKAGES.items() if name != "asdbench"]
    session.install(*local, f"{path}[test]")
    session.run("pytest", "-p", "no:cacheprovider", str(path / "tests"), *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Wheels and sdists of every package into dist/ (emptied first), each checked with
    ``twine check --strict``: what docs/releasing.md publishes."""
    session.install("build", "twine")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for path in PACKAGES.values():
        session.run("python", "-m", "build", "--outdir", str(dist), str(path))
    session.run("twine", "check", "--strict", *sorted(str(f) for f in dist.iterdir()))


@nox.session
def demo(session: nox.Session) -> None:
    session.install("-r", "requirements.txt")
    session.run("asdbench", "run", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-r", "requirements-dev.txt")
    session.run(
        "pytest",
        "benchmarks",
        "--benchmark-only",
        "--benchmark-columns=mean,stddev,rounds",
        *session.posargs,
    )
