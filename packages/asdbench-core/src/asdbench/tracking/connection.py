"""Which MLflow store a command uses and its client: the tracking URI, every check that a
store exists, can be written or answers (one-line errors before any work), the lock around a
new database's first use, and MLflow's quieter logs and shorter retries."""

from __future__ import annotations

import contextlib
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asdbench.errors import AsdbenchError


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else MLflow's default (``sqlite:///<cwd>/mlflow.db``)."""
    import mlflow

    return mlflow.get_tracking_uri()


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (None for other stores)."""
    if not uri.startswith("sqlite:"):
        return None
    path = urllib.parse.urlparse(uri).path
    return Path(path[1:] if path.startswith("//") else path)


def existing_store() -> str:
    """The URI of the store to read, which must exist: reading never creates an empty
    database (MLflow would, silently, wherever the command runs)."""
    return require(tracking_uri())


def require(uri: str) -> str:
    """``uri``, once it is known to be a store that exists (a sqlite file) or answers (a
    server)."""
    check_scheme(uri)
    database = sqlite_file(uri)
    if database is not None and not database.is_file():
        raise AsdbenchError(
            f"no MLflow store at {database} ({uri}): nothing has been run here; run from the "
            "folder of your runs or set MLFLOW_TRACKING_URI to their store"
        )
    if database is not None:
        check_sqlite(database, uri)
    check_reachable(uri)
    return uri


#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite(database: Path, uri: str) -> None:
    """Refuse a file that is not a SQLite database (MLflow would fail with a long SQLAlchemy
    traceback) or cannot be read."""
    try:
        with database.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise AsdbenchError(f"{uri}: {database} cannot be read ({exc.strerror})") from exc
    if header and header != SQLITE_HEADER:
        raise AsdbenchError(f"{uri}: {database} is not a SQLite database, so not an MLflow store")


#: Store schemes MLflow's tracking client accepts (file stores aside, see check_writable).
SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks")


def check_writable(uri: str) -> None:
    """Refuse, before any work, a tracking URI that a run could not log to: a file store
    (MLflow 3 writes to databases), a scheme MLflow does not know, a sqlite file in a folder
    that does not exist or that cannot be written."""
    check_scheme(uri)
    database = sqlite_file(uri)
    if database is None or str(database) in ("", ":memory:"):
        return
    folder = database.parent
    if not folder.is_dir():
        raise AsdbenchError(f"{uri}: the folder {folder} does not exist")
    if database.is_file():
        check_sqlite(database, uri)
    for path in (database, folder) if database.exists() else (folder,):
        if not os.access(path, os.W_OK):
            raise AsdbenchError(f"{uri}: {path} is read-only; MLflow cannot log there")


def check_scheme(uri: str) -> None:
    """Refuse a file store (MLflow 3 no longer writes to one) and a scheme MLflow does not
    know, with what to use instead."""
    scheme = urllib.parse.urlsplit(uri).scheme.lower().split("+")[0]
    if scheme in ("", "file"):
        if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in ("1", "true"):
            return
        raise AsdbenchError(
            f"MLFLOW_TRACKING_URI={uri}: a file store, which MLflow 3 no longer writes to; use "
            "sqlite:///mlflow.db or a server (`mlflow migrate-filestore` moves existing runs)"
        )
    if scheme not in SCHEMES:
        raise AsdbenchError(
            f"MLFLOW_TRACKING_URI={uri}: not a tracking store MLflow knows (use sqlite:///PATH, "
            "http://HOST:PORT or a database URL such as postgresql://...)"
        )


@contextlib.contextmanager
def first_use(uri: str) -> Iterator[None]:
    """Hold an exclusive lock on a sqlite store's folder while the store is opened, so that two
    runs starting together do not both create (migrate) a new database. Every process that
    uses the store shares that folder (whatever its cache folder), and the lock is taken on
    the folder itself, so no lock file is left beside the user's ``mlflow.db``."""
    database = sqlite_file(uri)
    if database is None or not database.parent.is_dir():
        yield
        return
    import fcntl

    folder = os.open(database.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(folder, fcntl.LOCK_UN)
    finally:
        os.close(folder)


def client(uri: str | None = None) -> Any:
    """An MLflow client of ``uri`` (default: the store commands use, see :func:`tracking_uri`);
    every client asdbench uses is made here."""
    from mlflow.tracking import MlflowClient

    quiet_database_logs()
    return MlflowClient(tracking_uri=uri or tracking_uri())


def quiet_database_logs() -> None:
    """Silence MLflow's database logger: its INFO lines on a new store ("Creating initial
    MLflow database tables...") are noise, and its ERROR tracebacks precede an exception that
    asdbench reports in one line (a full disk, a locked store) or with its traceback (a bug)."""
    import logging

    logging.getLogger("mlflow.store.db.utils").setLevel(logging.CRITICAL)


def check_reachable(uri: str, timeout_seconds: float = 5.0) -> None:
    """Fail in seconds, before any training, when a tracking server does not answer (MLflow's
    own client would retry for minutes)."""
    if not uri.startswith(("http://", "https://")):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout_seconds):
            return
    except urllib.error.HTTPError:
        return  # it answers (a proxy may not expose /health)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AsdbenchError(
            f"the MLflow tracking server {uri} does not answer ({reason}); start it, pass "
            "--tracking-fallback local to log locally and upload later with `asdbench sync`, "
            "or unset MLFLOW_TRACKING_URI to log to ./mlflow.db"
        ) from exc


def answers(uri: str) -> bool:
    try:
        check_reachable(uri)
    except AsdbenchError:
        return False
    return True


def limit_http_retries() -> None:
    """Shorten MLflow's retries (7, doubling from 2 s: minutes per call) so that a server that
    went away is noticed in seconds; a user's own settings win."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
