"""``asdbench data download`` against a local HTTP server on 127.0.0.1 (never the internet)."""

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.download import RemoteFile, fetch, safe_extract
from asdbench.errors import DataError
from asdbench_dcase.datasets import Dcase2023


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def wav_bytes(seed: int) -> bytes:
    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.full(800, seed / 100, dtype=np.float32), 16000, format="WAV", subtype="PCM_16"
    )
    return buffer.getvalue()


class Zenodo(ThreadingHTTPServer):
    """A tiny Zenodo: record metadata with md5 checksums, files with Range support, and an
    option to cut the first transfer of a file short."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.records: dict[str, list[str]] = {}
        self.cut_first_transfer_at: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        self.bad_checksum = False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, record, name, data):
        self.files[name] = data
        self.records.setdefault(record, []).append(name)


def checksum(server: Zenodo, name: str) -> str:
    return "0" * 32 if server.bad_checksum else hashlib.md5(server.files[name]).hexdigest()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server: Zenodo = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        if self.path.startswith("/api/records/"):
            record = self.path.rsplit("/", 1)[-1]
            files = [
                {
                    "key": name,
                    "size": len(server.files[name]),
                    "checksum": "md5:"
                    + (
                        ("0" * 32)
                        if server.bad_checksum
                        else hashlib.md5(server.files[name]).hexdigest()
                    ),
                    "links": {"self": f"{server.url}/files/{name}"},
                }
                for name in server.records.get(record, [])
            ]
            body = json.dumps({"files": files}).encode()
            self.send_response(200 if record in server.records else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data = server.files[self.path.rsplit("/", 1)[-1]]
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if server.cut_first_transfer_at is not None:
            body = body[: server.cut_first_transfer_at]
            server.cut_first_transfer_at = None
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def zenodo():
    server = Zenodo()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


FAN_ZIP = {
    "fan/train/section_00_source_train_normal_0000_m-n_W.wav": wav_bytes(1),
    "fan/train/section_00_target_train_normal_0000_m-n_Y.wav": wav_bytes(2),
    "fan/test/section_00_source_test_anomaly_0000_m-n_W.wav": wav_bytes(3),
    "fan/attributes_00.csv": (
        b"file_name,d1p,d1v\nfan/train/section_00_source_train_normal_0000_m-n_W.wav,m-n,W\n"
    ),
}


def test_download_dev_then_read_it(zenodo, tmp_path):
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    download = ["data", "download", "dcase2023", "--to", str(tmp_path), "--part", "dev"]
    download += ["--machine", "fan", "--mirror", zenodo.url]
    result = CliRunner().invoke(cli, download)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dev_data/fan/train/section_00_source_train_normal_0000_m-n_W.wav").exists()
    table = Dcase2023().load(tmp_path)
    assert len(table) == 3 and table.classes == [
        "fan_00###m-n_W###source",
        "fan_00###m-n_Y###target",
    ]
    again = CliRunner().invoke(cli, download)
    assert again.exit_code == 0
    assert [p for p, _ in zenodo.requests].count("/files/dev_fan.zip") == 1  # kept, not refetched


def test_interrupted_transfer_resumes_with_a_range_request(zenodo, tmp_path):
    data = make_zip(FAN_ZIP)
    zenodo.add("7882613", "dev_fan.zip", data)
    zenodo.cut_first_transfer_at = 1000
    with pytest.raises(DataError, match="run the download again"):
        Dcase2023().download(
            tmp_path, parts=["dev"], machines=["fan"], mirror=zenodo.url, progress=False
        )
    partial = tmp_path / "archives" / "dev_fan.zip.part"
    assert partial.stat().st_size == 1000
    Dcase2023().download(
        tmp_path, parts=["dev"], machines=["fan"], mirror=zenodo.url, progress=False
    )
    assert ("/files/dev_fan.zip", "bytes=1000-") in zenodo.requests
    assert (tmp_path / "archives" / "dev_fan.zip").read_bytes() == data
    assert not partial.exists()


def test_checksum_mismatch_is_refused_and_the_file_removed(zenodo, tmp_path):
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.bad_checksum = True
    with pytest.raises(DataError, match="dev_fan.zip: checksum mismatch"):
        Dcase2023().download(
            tmp_path, parts=["dev"], machines=["fan"], mirror=zenodo.url, progress=False
        )
    assert not (tmp_path / "archives" / "dev_fan.zip").exists()
    assert not (tmp_path / "dev_data").exists()


@pytest.mark.parametrize("entry", ["../evil.txt", "fan/../../evil.txt", "/tmp/evil.txt"])
def test_zip_escaping_the_target_is_refused_whole(tmp_path, entry):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(make_zip({"fan/train/ok.wav": b"x", entry: b"owned"}))
    target = tmp_path / "out" / "dev_data"
    with pytest.raises(DataError, match="refused"):
        safe_extract(archive, target)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()


def test_unknown_machine_and_missing_record_file(zenodo, tmp_path):
    with pytest.raises(DataError, match="drill: not a dcase2023 dev machine type"):
        Dcase2023().download(tmp_path, parts=["dev"], machines=["drill"], mirror=zenodo.url)
    zenodo.add("7882613", "dev_fan.zip", b"")
    with pytest.raises(DataError, match="Zenodo record 7882613 has no file dev_valve.zip"):
        Dcase2023().download(tmp_path, parts=["dev"], machines=["valve"], mirror=zenodo.url)


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="cannot read Zenodo record 7882613"):
        Dcase2023().download(
            tmp_path, parts=["dev"], machines=["fan"], mirror="http://127.0.0.1:9", progress=False
        )


def test_fetch_without_checksum_keeps_the_bytes(zenodo, tmp_path):
    zenodo.add("1", "plain.bin", b"abc" * 1000)
    path = fetch(RemoteFile("plain.bin", f"{zenodo.url}/files/plain.bin"), tmp_path, progress=False)
    assert path.read_bytes() == b"abc" * 1000
