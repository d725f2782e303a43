"""``asdbench data download`` against a local HTTP server on 127.0.0.1 (never the internet)."""

import hashlib
import io
import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from asdbench import DataError, RemoteFile, fetch, safe_extract
from asdbench.cli import cli
from asdbench_dcase.datasets import Dcase2023, Dcase2024


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def wav_bytes(seed: int, channels: int = 1) -> bytes:
    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    shape = (800, channels) if channels > 1 else 800
    soundfile.write(
        buffer, np.full(shape, seed / 100, dtype=np.float32), 16000, format="WAV", subtype="PCM_16"
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
        #: How the record states checksums: "md5:" (Zenodo), "bare" hex, or None (omitted).
        self.checksum_form: str | None = "md5:"
        self.sizes = True
        #: Sizes the record states instead of the files' own (a listing of large archives).
        self.stated_sizes: dict[str, int] = {}
        #: Send no Content-Length (the end of a cut transfer then looks like its end).
        self.no_length = False
        #: A link the record gives instead of the file's own (file://, ...).
        self.links: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.raw_record: bytes | None = None
        #: Files sent slowly: name -> seconds between single bytes.
        self.trickle: dict[str, float] = {}
        #: Bytes of each file written to the socket so far.
        self.sent: dict[str, int] = {}

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
            files = []
            for name in server.records.get(record, []):
                entry = {
                    "key": name,
                    "links": {"self": server.links.get(name, f"{server.url}/files/{name}")},
                }
                if server.sizes:
                    entry["size"] = server.stated_sizes.get(name, len(server.files[name]))
                if server.checksum_form is not None:
                    digest = checksum(server, name)
                    entry["checksum"] = (
                        digest if server.checksum_form == "bare" else server.checksum_form + digest
                    )
                files.append(entry)
            body = server.raw_record or json.dumps({"files": files}).encode()
            self.send_response(200 if record in server.records else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        name = self.path.rsplit("/", 1)[-1]
        if name in server.redirects:
            self.send_response(302)
            self.send_header("Location", server.redirects[name])
            self.end_headers()
            return
        data = server.files[name]
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        if not server.no_length:
            self.send_header("Content-Length", str(len(data) - start))
        else:
            self.close_connection = True
        self.end_headers()
        body = data[start:]
        if name in server.trickle:
            self._trickle(name, body)
            return
        if server.cut_first_transfer_at is not None:
            body = body[: server.cut_first_transfer_at]
            server.cut_first_transfer_at = None
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        try:
            for offset in range(0, len(body), 1 << 16):  # counted up to a closed socket
                block = body[offset : offset + (1 << 16)]
                self.wfile.write(block)
                server.sent[name] = server.sent.get(name, 0) + len(block)
        except OSError:
            pass  # the client stopped reading

    def _trickle(self, name, body):
        server: Zenodo = self.server
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                server.sent[name] = server.sent.get(name, 0) + 1
                time.sleep(server.trickle[name])
        except OSError:
            pass  # the client gave up: what the test expects


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
    table = Dcase2023().load(tmp_path, check=False)
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


def download(zenodo, tmp_path):
    """``asdbench data download`` of the dcase2023 fan dev archive, as a user runs it."""
    command = ["data", "download", "dcase2023", "--to", str(tmp_path), "--part", "dev"]
    return CliRunner().invoke(cli, [*command, "--machine", "fan", "--mirror", zenodo.url])


def extracted(tmp_path):
    return sorted(
        str(p.relative_to(tmp_path / "dev_data"))
        for p in (tmp_path / "dev_data").rglob("*")
        if p.is_file()
    )


def test_an_archive_is_verified_before_it_takes_its_name(zenodo, tmp_path):
    """A process killed during the checksum (or an archive changed since) leaves a final file
    without its verified marker: it is verified again, and fetched again when it fails."""
    data = make_zip(FAN_ZIP)
    zenodo.add("7882613", "dev_fan.zip", data)
    assert download(zenodo, tmp_path).exit_code == 0
    archive = tmp_path / "archives" / "dev_fan.zip"
    assert (tmp_path / "archives" / "dev_fan.zip.verified").exists()
    archive.write_bytes(data[:100] + b"X" * (len(data) - 100))  # corrupted after the fact
    (tmp_path / "archives" / "dev_fan.zip.verified").unlink()
    (tmp_path / "dev_data").rename(tmp_path / "old")
    assert download(zenodo, tmp_path).exit_code == 0
    assert archive.read_bytes() == data
    assert extracted(tmp_path) == sorted(name.removeprefix("") for name in FAN_ZIP)
    assert [p for p, _ in zenodo.requests].count("/files/dev_fan.zip") == 2


@pytest.mark.parametrize("form", ["bare", "MD5:"])
def test_checksums_in_other_forms_are_understood(zenodo, tmp_path, form):
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.checksum_form = form
    assert download(zenodo, tmp_path).exit_code == 0
    zenodo.bad_checksum = True
    (tmp_path / "archives" / "dev_fan.zip").unlink()
    failed = download(zenodo, tmp_path)
    assert failed.exit_code == 2 and "checksum mismatch (md5" in failed.output


@pytest.mark.parametrize("form", ["crc32:", "md5:zz"])
def test_a_checksum_not_understood_is_an_error_before_any_transfer(zenodo, tmp_path, form):
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.checksum_form = form
    result = download(zenodo, tmp_path)
    assert result.exit_code == 2 and "is not understood" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert [p for p, _ in zenodo.requests if p.startswith("/files/")] == []


def test_a_cut_transfer_of_unknown_size_is_discarded_and_fetched_again(zenodo, tmp_path):
    """No size and no checksum in the record, no Content-Length: a cut transfer looks whole;
    the archive fails to open, is discarded and fetched again."""
    data = make_zip(FAN_ZIP)
    zenodo.add("7882613", "dev_fan.zip", data)
    zenodo.checksum_form, zenodo.sizes, zenodo.no_length = None, False, True
    zenodo.cut_first_transfer_at = len(data) // 2
    result = download(zenodo, tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "archives" / "dev_fan.zip").read_bytes() == data
    assert extracted(tmp_path) == sorted(FAN_ZIP)


def test_a_source_that_serves_a_broken_archive_leaves_nothing_behind(zenodo, tmp_path):
    data = bytearray(stored_zip(FAN_ZIP))
    data[data.index(b"RIFF") + 60] ^= 0xFF  # a damaged byte inside the first WAV: CRC error
    zenodo.add("7882613", "dev_fan.zip", bytes(data))
    zenodo.checksum_form = None
    result = download(zenodo, tmp_path)
    assert result.exit_code == 2 and "is damaged" in result.output
    assert "fetched twice" in result.output
    assert not (tmp_path / "dev_data").exists() or extracted(tmp_path) == []
    assert not (tmp_path / "archives" / "dev_fan.zip").exists()


@pytest.mark.parametrize("how", ["file link", "ftp link", "ftp redirect"])
def test_only_http_links_are_followed(zenodo, tmp_path, how):
    secret = tmp_path / "secret.zip"
    secret.write_bytes(make_zip(FAN_ZIP))
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.checksum_form = None
    link = secret.as_uri() if how == "file link" else "ftp://127.0.0.1/secret.zip"
    if how.endswith("link"):
        zenodo.links["dev_fan.zip"] = link
    else:
        zenodo.redirects["dev_fan.zip"] = link
    result = download(zenodo, tmp_path / "data")
    assert result.exit_code == 2
    assert f"{link}: refused, only http and https links are followed" in result.output
    assert not (tmp_path / "data" / "archives" / "dev_fan.zip").exists()
    assert not (tmp_path / "data" / "dev_data").exists()


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b'{"files": [{"size": 3}]}', "None is not a plain file name"),
        (b'{"files": [{"key": "../../x.zip"}]}', "'../../x.zip' is not a plain file name"),
        (b'{"files": [{"key": "a.zip", "size": -1}]}', "a.zip has size -1"),
        (b'{"hits": []}', "lists no files"),
    ],
)
def test_a_malformed_record_is_a_one_line_error(zenodo, tmp_path, record, message):
    zenodo.add("7882613", "dev_fan.zip", b"")
    zenodo.raw_record = record
    result = download(zenodo, tmp_path)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def stored_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_method(data: bytes, method: int) -> bytes:
    """A stored zip whose entries claim another compression method, as a deflate64 archive
    made elsewhere would."""
    return patched(data, {b"PK\x03\x04": 8, b"PK\x01\x02": 10}, method)


def patched(data: bytes, field: dict[bytes, int], value: int) -> bytes:
    """``data`` with a two-byte header field set to ``value`` in every local and central
    header (``field``: header signature -> the field's offset)."""
    out = bytearray(data)
    for signature, offset in field.items():
        start = 0
        while (start := out.find(signature, start)) != -1:
            out[start + offset : start + offset + 2] = value.to_bytes(2, "little")
            start += 4
    return bytes(out)


def encrypted_zip() -> bytes:
    """An entry flagged as encrypted (general-purpose bit 0), as a password-protected zip."""
    plain = stored_zip({"fan/train/a.wav": b"scrambled"})
    return patched(plain, {b"PK\x03\x04": 6, b"PK\x01\x02": 8}, 0x1)


def bomb_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fan/train/a.wav", b"\0" * (8 << 20))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            make_zip({"fan/a.wav": b"1", "fan/b.wav": b"2"}).replace(b"b.wav", b"a.wav"),
            "appears twice",
        ),
        (make_zip({"fan/" + "x" * 300 + ".wav": b"1"}), "has a name part over 255 bytes"),
        (make_zip({"fan/train": b"1", "fan/train/a.wav": b"2"}), "is a file where other entries"),
        (encrypted_zip(), "is encrypted"),
        (with_method(stored_zip({"fan/a.wav": b"12345"}), 9), "uses deflate64 compression"),
        (bomb_zip(), "expands more than 100 times"),
    ],
)
def test_archives_that_cannot_be_unpacked_safely_are_refused_whole(tmp_path, data, message):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(data)
    target = tmp_path / "dev_data"
    with pytest.raises(DataError, match="refused") as refused:
        safe_extract(archive, target)
    assert message in str(refused.value)
    assert [p.name for p in tmp_path.iterdir()] == ["bad.zip"]  # nothing written


def test_an_entry_over_the_size_limit_is_refused(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(make_zip({"fan/a.wav": b"x" * 5000}))
    with pytest.raises(DataError, match="is 5000 bytes, over the 4096 limit"):
        safe_extract(archive, tmp_path / "out", max_entry_bytes=4096)


def test_a_file_where_the_target_has_a_folder_is_refused(tmp_path):
    (tmp_path / "out" / "fan" / "train").mkdir(parents=True)
    archive = tmp_path / "clash.zip"
    archive.write_bytes(make_zip({"fan/train": b"x"}))
    with pytest.raises(DataError, match="is a file, but .* is a folder"):
        safe_extract(archive, tmp_path / "out")


def test_a_republished_archive_is_fetched_by_its_new_name(zenodo, tmp_path):
    """DCASE2024's 3DPrinter training archive was republished as ``..._train_r2.zip``: the
    download asks the record for that name."""
    archive = {"3DPrinter/train/section_00_source_train_normal_0001_mdl_A.wav": wav_bytes(1)}
    zenodo.add("11259435", "eval_data_3DPrinter_train_r2.zip", make_zip(archive))
    Dcase2024().download(
        tmp_path, parts=["eval-train"], machines=["3DPrinter"], mirror=zenodo.url, progress=False
    )
    assert (tmp_path / "eval_data/3DPrinter/train").is_dir()
    assert [p for p, _ in zenodo.requests][-1] == "/files/eval_data_3DPrinter_train_r2.zip"


@pytest.mark.parametrize("nested", [False, True])
def test_2021_parts_unpack_into_one_plain_tree(zenodo, tmp_path, nested):
    """2021's archives are ``dev_data_<m>.zip``, ``eval_data_train_<m>.zip`` and
    ``eval_data_test_<m>.zip``; whether an archive holds ``<machine>/...`` or
    ``<dev_data|eval_data>/<machine>/...``, every part lands in the one tree the reader takes."""
    from asdbench_dcase.datasets import Dcase2021

    def archive(partition, entries):
        prefix = f"{partition}_data/" if nested else ""
        return make_zip({prefix + name: data for name, data in entries.items()})

    zenodo.add("4562016", "dev_data_fan.zip", archive("dev", {
        "fan/train/section_00_source_train_normal_0000_strength_1_ambient.wav": wav_bytes(1),
        "fan/source_test/section_00_source_test_anomaly_0000.wav": wav_bytes(2),
        "fan/target_test/section_00_target_test_normal_0000.wav": wav_bytes(3),
    }))  # fmt: skip
    zenodo.add("4660992", "eval_data_train_fan.zip", archive("eval", {
        "fan/train/section_03_target_train_normal_0000_strength_2_ambient.wav": wav_bytes(4),
    }))  # fmt: skip
    zenodo.add("4884786", "eval_data_test_fan.zip", archive("eval", {
        "fan/source_test/section_03_source_test_0000.wav": wav_bytes(5),
        "fan/target_test/section_03_target_test_0000.wav": wav_bytes(6),
    }))  # fmt: skip
    Dcase2021().download(tmp_path, machines=["fan"], mirror=zenodo.url, progress=False)
    Dcase2021().download(tmp_path, machines=["fan"], mirror=zenodo.url, progress=False)
    assert not (tmp_path / "dev_data" / "dev_data").exists()
    assert not (tmp_path / "eval_data" / "eval_data").exists()
    table = Dcase2021().load(tmp_path, check=False)
    assert table.counts("partition", "split", "domain") == {
        ("dev", "train", "source"): 1,
        ("dev", "test", "source"): 1,
        ("dev", "test", "target"): 1,
        ("eval", "train", "target"): 1,
        ("eval", "test", "source"): 1,
        ("eval", "test", "target"): 1,
    }


def test_2020_parts_unpack_into_one_plain_tree(zenodo, tmp_path):
    """2020's archives, ``dev_data_<m>.zip``, ``eval_data_train_<m>.zip`` and
    ``eval_data_test_<m>.zip`` from its three records, land in one tree the reader takes."""
    from asdbench_dcase.datasets import Dcase2020

    zenodo.add("3678171", "dev_data_fan.zip", make_zip({
        "dev_data/fan/train/normal_id_00_00000000.wav": wav_bytes(1),
        "dev_data/fan/test/anomaly_id_00_00000000.wav": wav_bytes(2),
    }))  # fmt: skip
    zenodo.add("3727685", "eval_data_train_fan.zip", make_zip({
        "fan/train/normal_id_01_00000000.wav": wav_bytes(3),
    }))  # fmt: skip
    zenodo.add("3841772", "eval_data_test_fan.zip", make_zip({
        "fan/test/id_01_00000000.wav": wav_bytes(4),
    }))  # fmt: skip
    Dcase2020().download(tmp_path, machines=["fan"], mirror=zenodo.url, progress=False)
    table = Dcase2020().load(tmp_path, check=False)
    assert table.counts("partition", "split", "section", "label") == {
        ("dev", "train", "00", "normal"): 1,
        ("dev", "test", "00", "anomaly"): 1,
        ("eval", "train", "01", "normal"): 1,
        ("eval", "test", "01", "unknown"): 1,
    }


def test_list_names_each_archive_with_its_size_and_fetches_nothing(zenodo, tmp_path):
    """``data download --list``: what a download would fetch, the sizes the records state and
    their total, before committing gigabytes; nothing is written."""
    sizes = {"dev_data_fan.zip": 2_500_000_000, "eval_data_train_fan.zip": 1_000_000_000}
    zenodo.add("4562016", "dev_data_fan.zip", b"x" * 10)
    zenodo.add("4660992", "eval_data_train_fan.zip", b"y" * 10)
    zenodo.add("4884786", "eval_data_test_fan.zip", b"z" * 10)
    zenodo.stated_sizes = sizes
    args = ["data", "download", "dcase2021", "--to", str(tmp_path / "data"), "--list"]
    result = CliRunner().invoke(cli, [*args, "--machine", "fan", "--mirror", zenodo.url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["dev", "dev_data_fan.zip", "2.50", "GB"]
    assert lines[1].split() == ["eval-train", "eval_data_train_fan.zip", "1.00", "GB"]
    assert lines[2].split() == ["eval-test", "eval_data_test_fan.zip", "0.00", "GB"]
    assert lines[3] == "3 archive(s), 3.50 GB"
    assert not (tmp_path / "data").exists()
    assert not any(path.startswith("/files/") for path, _ in zenodo.requests)


def test_2026_evaluation_test_archives_come_from_their_record_stereo(zenodo, tmp_path):
    """The 2026 evaluation test set (record 20437238) unpacks beside its training clips and
    reads as stereo; a record that does not list an archive is refused naming both, before
    any transfer."""
    from asdbench_dcase.datasets import Dcase2026

    zenodo.add("20437238", "eval_data_Sander_test.zip", make_zip({
        "Sander/test/section_00_0000.wav": wav_bytes(1, channels=2),
    }))  # fmt: skip
    zenodo.add("20151556", "eval_data_Sander_train.zip", make_zip({
        "Sander/train/section_00_source_train_normal_0000_.wav": wav_bytes(2, channels=2),
    }))  # fmt: skip
    Dcase2026().download(
        tmp_path, parts=["eval-train", "eval-test"], machines=["Sander"], mirror=zenodo.url,
        progress=False,
    )  # fmt: skip
    table = Dcase2026().load(tmp_path, check=False)
    assert sorted((c.split, c.file) for c in table) == [
        ("test", "section_00_0000.wav"),
        ("train", "section_00_source_train_normal_0000_.wav"),
    ]
    asked = len(zenodo.requests)
    with pytest.raises(
        DataError, match="Zenodo record 20437238 has no file eval_data_ToyDrone_test"
    ):
        Dcase2026().download(
            tmp_path, parts=["eval-test"], machines=["ToyDrone"], mirror=zenodo.url,
            progress=False,
        )  # fmt: skip
    assert not any("/files/" in path for path, _ in zenodo.requests[asked:])


def test_an_archive_cannot_touch_a_machine_folder_already_there(zenodo, tmp_path):
    """A ``dev_gearbox.zip`` holding a file ``dev_data/fan`` (or anything outside
    ``gearbox/``) is refused whole: the fan clips downloaded before stay as they were."""
    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.add("7882613", "dev_gearbox.zip", make_zip({
        "dev_data/gearbox/train/section_00_source_train_normal_0000_volt_1.0.wav": wav_bytes(4),
        "dev_data/fan": b"not a folder",
    }))  # fmt: skip
    download = ["data", "download", "dcase2023", "--to", str(tmp_path), "--part", "dev"]
    download += ["--mirror", zenodo.url, "--machine"]
    assert CliRunner().invoke(cli, [*download, "fan"]).exit_code == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "dev_data").rglob("*"))
    result = CliRunner().invoke(cli, [*download, "gearbox"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1:] == [  # after the transfer's progress bar
        "Error: dev_gearbox.zip: refused, entry 'dev_data/fan' lies outside gearbox/, the only "
        "folder this archive may fill"
    ]
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "dev_data").rglob("*"))
    assert after == before and (tmp_path / "dev_data/fan/train").is_dir()


def test_a_folder_where_the_target_has_a_file_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fan").write_bytes(b"a file the user keeps")
    archive = tmp_path / "clash.zip"
    archive.write_bytes(make_zip({"fan/train/a.wav": b"x"}))
    with pytest.raises(DataError, match=r"needs a folder where .*out/fan is a file"):
        safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "fan").read_bytes() == b"a file the user keeps"


def test_a_zip_bomb_in_many_parts_is_refused_whole(tmp_path):
    """Entries of exactly 1 MiB of zeros each pass the per-entry ratio check; together they
    expand a thousandfold, which the archive's total bound refuses before anything is
    written."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for index in range(40):
            bomb.writestr(f"fan/train/{index:04d}.wav", b"\0" * (1 << 20))
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(buffer.getvalue())
    assert len(buffer.getvalue()) < (1 << 20) // 10
    with pytest.raises(DataError, match=r"expand from \d+ to 41943040 bytes, more than 100 times"):
        safe_extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


def test_a_transfer_stops_at_the_records_size(zenodo, tmp_path):
    """Told 1000 bytes, the client stops reading past them, whatever the server has: the
    server's 64 MiB are never all sent, and no file is left."""
    zenodo.add("7882613", "dev_fan.zip", b"\0" * (64 << 20))
    zenodo.stated_sizes["dev_fan.zip"] = 1000
    zenodo.checksum_form = None
    with pytest.raises(DataError, match="sent more than the record's 1000 bytes"):
        Dcase2023().download(
            tmp_path, parts=["dev"], machines=["fan"], mirror=zenodo.url, progress=False
        )
    assert not list((tmp_path / "archives").glob("dev_fan.zip*"))
    assert zenodo.sent.get("dev_fan.zip", 0) < (64 << 20)


def test_a_transfer_that_trickles_is_given_up_and_kept(zenodo, tmp_path):
    """A server sending one byte at a time, far below the minimum rate: the transfer ends
    with an error once a rate window has passed, and what came is kept for a resume."""
    data = make_zip(FAN_ZIP)
    zenodo.add("7882613", "dev_fan.zip", data)
    zenodo.trickle["dev_fan.zip"] = 0.01
    remote = RemoteFile("dev_fan.zip", f"{zenodo.url}/files/dev_fan.zip", size=len(data))
    with pytest.raises(DataError, match=r"too slow \(\d+ bytes in \d+ s, under 1000 bytes/s\)"):
        fetch(remote, tmp_path, progress=False, min_rate=1000, rate_window=0.5)
    assert 0 < (tmp_path / "dev_fan.zip.part").stat().st_size < len(data)


def test_sigterm_keeps_what_was_received_and_says_so(zenodo, tmp_path):
    """``kill`` during a download: exit 130, a line saying the transfer is kept, and the bytes
    received in ``.part`` for the next run to resume."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    zenodo.add("7882613", "dev_fan.zip", make_zip(FAN_ZIP))
    zenodo.trickle["dev_fan.zip"] = 0.05
    command = [str(Path(sys.executable).with_name("asdbench")), "data", "download", "dcase2023"]
    command += ["--to", str(tmp_path), "--part", "dev", "--machine", "fan"]
    process = subprocess.Popen(
        [*command, "--mirror", zenodo.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while zenodo.sent.get("dev_fan.zip", 0) < 20:  # the transfer is under way
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "download interrupted; what was received is kept in .part files" in stderr
    assert (tmp_path / "archives" / "dev_fan.zip.part").stat().st_size > 0
    assert os.path.exists(tmp_path / "archives" / "dev_fan.zip") is False
