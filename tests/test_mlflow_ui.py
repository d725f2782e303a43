"""The MLflow UI as the leaderboard, checked in headless Chromium as a user would use it: two
benchmark cells that differ in one option, `asdbench ui` started on their store, and the page
its printed link opens: the model-training runs view, the cells named by what differs, the
official-score columns shown and sorted, and the leaderboard's numbers on the page."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PROGRAM = Path(sys.executable).parent / "asdbench"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
]


def ensure_chromium() -> None:
    """Debian's chromium and chromium-driver, installed by the test setup when missing."""
    if Path(CHROMIUM).exists() and Path(DRIVER).exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            "the browser test needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver, as root)"
        )
    install = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, capture_output=True, env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
        subprocess.run(install, check=True, capture_output=True, env=env)


def artifact_folder() -> Path:
    folder = Path(os.environ.get("ASDBENCH_TEST_ARTIFACTS", ROOT / ".test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def two_cells(mlflow_tracking, tmp_path, quick_run_args):
    """Two finished cells of two trials each, differing only in loss.subspace_dim."""
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(tmp_path / "cache")}
    for j in ("2", "8"):
        subprocess.run(
            [
                str(PROGRAM),
                "run",
                "--trials",
                "2",
                "--set",
                f"loss.subspace_dim={j}",
                *quick_run_args,
            ],
            check=True,
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
        )
    board = subprocess.run(
        [str(PROGRAM), "leaderboard", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    return env, json.loads(board.stdout)


def start_ui(env, cwd, port, until_healthy):
    """``asdbench ui`` on the store; returns the process and the leaderboard link it printed."""
    server = subprocess.Popen(
        [str(PROGRAM), "ui", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in server.stderr:
        lines.append(line)
        if "MLflow UI for" in line:
            break
    if not until_healthy(f"http://127.0.0.1:{port}"):
        server.terminate()
        pytest.fail("asdbench ui did not start:\n" + "".join(lines))
    [link] = [m for line in lines for m in re.findall(r"(http://\S+viewStateShareKey\S+)", line)]
    return server, link, "".join(lines)


def test_the_page_asdbench_ui_opens_on_is_the_leaderboard(
    two_cells, tmp_path, unused_port, until_healthy
):
    ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    env, board = two_cells
    server, link, printed = start_ui(env, tmp_path, unused_port, until_healthy)
    assert "asdbench-synthetic: http://127.0.0.1:" in printed
    # Every address it prints opens a leaderboard (MLflow's bare address is its GenAI page).
    addresses = re.findall(r"http://\S+", printed)
    assert addresses and all("viewStateShareKey=asdbench-leaderboard" in a for a in addresses)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    wait = WebDriverWait(browser, 120)
    try:
        browser.get(link)
        column = '[col-id="metrics.`eval/official_score_mean`"][role="gridcell"]'
        wait.until(
            lambda b: len([c for c in b.find_elements(By.CSS_SELECTOR, column) if c.text]) >= 2
        )
        # MLflow may open its assistant panel on a browser's first visit; a user closes it.
        for button in browser.find_elements(By.CSS_SELECTOR, "button[aria-label='Close']"):
            if button.is_displayed():
                button.click()
                wait.until(expected_conditions.staleness_of(button))
        browser.save_screenshot(str(artifact_folder() / "mlflow-ui.png"))
        page = browser.find_element(By.TAG_NAME, "body").text
        grid = {
            key: [c.text for c in browser.find_elements(By.CSS_SELECTOR, selector)]
            for key, selector in {
                partition: f'[col-id="metrics.`{partition}/official_score_mean`"][role="gridcell"]'
                for partition in ("dev", "eval")
            }.items()
        }
        # At 1280 px the figures it sorts by, and the dev ones, lie within the window.
        visible = {
            partition: browser.execute_script(
                "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                browser.find_elements(By.CSS_SELECTOR, selector)[0],
            )
            for partition, selector in {
                p: f'[col-id="metrics.`{p}/official_score_mean`"][role="gridcell"]'
                for p in ("dev", "eval")
            }.items()
        }
        width = browser.execute_script("return window.innerWidth;")
        browser.find_element(
            By.CSS_SELECTOR,
            "button[data-component-id='mlflow.experiment.metadata_editor.expand_button']",
        ).click()
        wait.until(
            lambda b: "All cells: dataset synthetic" in b.find_element(By.TAG_NAME, "body").text
        )
        described = browser.find_element(By.TAG_NAME, "body").text
        names = [  # the cell's text also holds its colour swatch's name, on a line before
            c.text.splitlines()[-1]
            for c in browser.find_elements(
                By.CSS_SELECTOR, '[col-id="attributes.`Run Name`"][role="gridcell"]'
            )
        ]
    finally:
        browser.quit()
        server.terminate()
        server.wait(timeout=30)
    # The model-training runs view (Runs, Models, Traces), not the GenAI one (its overview,
    # judges and evaluation runs).
    assert "Runs" in page and "Judges" not in page and "Evaluation runs" not in page
    # The parent runs are the leaderboard's rows, named by what differs, best eval first.
    eval_rows = [c for c in board["cells"] if c["partition"] == "eval"]
    assert names == [
        f"adaproj/dual_branch/kmeans loss.subspace_dim={c['settings']['loss.subspace_dim']}"
        for c in eval_rows
    ]
    # In percent, as the leaderboard and the CLI show them (docs/metrics.md).
    assert [float(v) for v in grid["eval"]] == pytest.approx(
        [c["official_score_mean"] for c in eval_rows]
    )
    assert all(10 < float(v) <= 100 for values in grid.values() for v in values)
    for partition, (left, right) in visible.items():
        assert left >= 0 and right <= width, (partition, left, right, width)
    # The description's first line: the best official score of each partition, in %.
    best = {c["partition"]: c for c in reversed(board["cells"])}
    for partition in ("dev", "eval"):
        mean = best[partition]["official_score_mean"]
        assert f"{partition} {mean:.2f} ±" in page
    # Expanded, the description is the leaderboard: every cell's mean ± std official score.
    assert "loss.subspace_dim" in described and "All cells: dataset synthetic" in described
    for cell in board["cells"]:
        mean, std = cell["official_score_mean"], cell["official_score_std"]
        assert f"{mean:.2f} ± {std:.2f}" in described


def session_members(session: int) -> list[str]:
    """The command names of the live processes of session ``session`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(text[text.index("(") + 1 : text.rindex(")")])
    return found


def test_ui_on_a_port_in_use_or_out_of_range_is_one_line_and_starts_nothing(
    mlflow_tracking, tmp_path, unused_port
):
    """Another program on the port: one line naming the port, exit 2, before any link is
    printed or any process started."""
    import socket

    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_tracking}
    with socket.socket() as other:
        other.bind(("127.0.0.1", unused_port))
        other.listen()
        result = subprocess.run(
            [str(PROGRAM), "ui", "--port", str(unused_port)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
            start_new_session=True,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [
        f"Error: --port {unused_port} on 127.0.0.1: in use; choose another with --port"
    ]
    assert "http://" not in result.stderr and "MLflow UI for" not in result.stderr
    out_of_range = subprocess.run(
        [str(PROGRAM), "ui", "--port", "99999"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert out_of_range.returncode == 2 and "99999 is not in the range 1<=x<=65535" in (
        out_of_range.stderr
    )


@pytest.mark.parametrize("ending", ["SIGTERM", "SIGINT"])
def test_ui_stops_every_process_it_started_however_it_ends(
    mlflow_tracking, tmp_path, unused_port, until_healthy, ending
):
    """The server, its workers and MLflow's job consumers all end with ``asdbench ui``, on
    SIGTERM (a scheduler, ``kill``) and on Ctrl-C."""
    import signal

    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_tracking}
    server = subprocess.Popen(
        [str(PROGRAM), "ui", "--port", str(unused_port)], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assert until_healthy(f"http://127.0.0.1:{unused_port}"), "asdbench ui did not start"
        started = session_members(server.pid)
        assert len(started) >= 2, started  # asdbench and the MLflow server at least
        server.send_signal(getattr(signal, ending))
        assert server.wait(timeout=60) == 0
        deadline = time.monotonic() + 60
        while session_members(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session_members(server.pid) == [], f"left running after {ending}"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
