"""The MLflow UI as the comparison view, checked in headless Chromium as a user would use it:
two benchmark cells with two trials each, parents with their nested trials, official scores."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
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
    "--window-size=2600,1000",
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


def test_mlflow_ui_shows_cells_nested_trials_and_official_scores(
    mlflow_server, tmp_path, quick_run_args
):
    ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    program = Path(sys.executable).parent / "asdbench"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow_server,
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
    }
    for loss in ("adaproj", "adacos"):
        subprocess.run(
            [
                str(program),
                "run",
                "--loss",
                loss,
                "--trials",
                "2",
                *quick_run_args,
            ],
            check=True,
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        browser.get(f"{mlflow_server}/#/experiments/1/runs")
        deadline = time.time() + 60
        while "adaproj/dual_branch/kmeans" not in browser.page_source and time.time() < deadline:
            time.sleep(0.5)
        # Show the official scores as columns, as a user does with the Columns menu.
        [columns] = [
            b for b in browser.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Columns"
        ]
        columns.click()
        time.sleep(1)
        browser.find_element(By.CSS_SELECTOR, "input[placeholder='Search columns']").send_keys(
            "official_score"
        )
        time.sleep(1)
        for label in ("dev/official_score", "eval/official_score"):
            # The search highlights the match, splitting the text: compare whole strings.
            matches = browser.find_elements(By.XPATH, f"//*[normalize-space(.)='{label}']")
            assert matches, f"{label} is not in the Columns menu"
            matches[-1].click()
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        time.sleep(1)
        for expander in browser.find_elements(
            By.CSS_SELECTOR, 'button[data-component-id$="runnamecellrenderer.tsx_46"]'
        ):
            expander.click()
            time.sleep(0.5)
        time.sleep(2)
        browser.save_screenshot(str(artifact_folder() / "mlflow-ui.png"))
        page = browser.page_source
        # The official scores are grid columns with a value in every row (parents and trials).
        cells = browser.find_elements(By.CSS_SELECTOR, '[col-id="metrics.`eval/official_score`"]')
        values = [c.text for c in cells if c.get_attribute("role") == "gridcell"]
    finally:
        browser.quit()
    for loss in ("adaproj", "adacos"):
        assert f"{loss}/dual_branch/kmeans" in page
        assert f"{loss}/dual_branch/kmeans trial 0" in page
        assert f"{loss}/dual_branch/kmeans trial 1" in page
    assert len(values) == 6 and all(float(v) > 0 for v in values), values


def test_asdbench_ui_serves_the_local_store(mlflow_tracking, tmp_path):
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = Path(sys.executable).parent / "asdbench"
    server = subprocess.Popen(
        [str(program), "ui", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
                    assert reply.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("asdbench ui did not start")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert f"MLflow UI for {mlflow_tracking} at http://127.0.0.1:{port}" in stderr
