"""`districtstat serve`: the built site over HTTP on this machine, and a clear word when there is nothing to serve."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from districtstat.cli import main
from districtstat.config import UsageError
from districtstat.site.serve import serve_site, site_server, site_url
from helpers import make_project

FRONT_DOOR = '<!DOCTYPE html><meta http-equiv="refresh" content="0; url=r1/index.html">'


def publish_fake_release(site):
    """What a build leaves in `site/`: a release folder, the version list and the front door."""
    (site / "r1").mkdir(parents=True)
    (site / "r1" / "index.html").write_text("<h1>Release r1</h1>", encoding="utf-8")
    (site / "versions.json").write_text(json.dumps({"releases": [{"name": "r1", "latest": True}]}), encoding="utf-8")
    (site / "index.html").write_text(FRONT_DOOR, encoding="utf-8")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except HTTPError as error:
        return error.code, ""


def test_the_server_serves_the_site_folder_on_a_free_local_port(tmp_path):
    publish_fake_release(tmp_path / "site")
    server = serve_site(tmp_path / "site", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = site_url(server)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url) and not url.endswith(":0/")
        assert fetch(url + "index.html") == (200, FRONT_DOOR)
        assert fetch(url + "r1/index.html") == (200, "<h1>Release r1</h1>")
        assert fetch(url + "r2/index.html")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_site_with_no_release_is_refused_with_what_to_do(tmp_path, capsys):
    params = make_project(tmp_path / "project", students=1500)
    assert main(["serve", "--params", str(params), "--port", "0"]) == 2
    assert "districtstat serve: site/ has no published release yet: run `districtstat build` first" in capsys.readouterr().err
    (tmp_path / "project" / "site" / "r1").mkdir(parents=True)  # a folder no version list names is no release either
    assert main(["serve", "--params", str(params), "--port", "0"]) == 2


def test_a_port_in_use_is_a_usage_error(tmp_path):
    publish_fake_release(tmp_path / "site")
    taken = site_server(tmp_path / "site", port=0)
    try:
        with pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1:\d+ .*choose another port with --port"):
            site_server(tmp_path / "site", port=taken.server_address[1])
    finally:
        taken.server_close()


def test_the_command_prints_the_address_serves_and_stops_cleanly_on_ctrl_c(tmp_path):
    params = make_project(tmp_path / "project", students=1500)
    publish_fake_release(tmp_path / "project" / "site")
    command = [sys.executable, "-m", "districtstat.cli", "serve", "--params", str(params), "--port", "0"]
    # A child of a shell running in the background ignores Ctrl-C; this one must get it as a reader's terminal sends it.
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        announced = server.stderr.readline()
        assert re.fullmatch(r"serving site/ at http://127\.0\.0\.1:\d+/ — Ctrl-C to stop\n", announced), announced
        assert fetch(announced.split()[3] + "r1/index.html") == (200, "<h1>Release r1</h1>")
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.stderr.close()
