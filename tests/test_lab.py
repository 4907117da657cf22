"""JupyterLab opens a chapter's .py as a notebook: the override memcap installs, read back from a live server."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from memcap.book import lab


def test_install_default_viewer_keeps_other_overrides(tmp_path):
    path = lab.settings_dir(tmp_path) / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                                lab.PLUGIN: {"defaultViewers": {"markdown": "Jupytext Notebook"}, "autosave": False}}))
    assert lab.install_default_viewer(tmp_path) == path
    data = json.loads(path.read_text())
    assert data["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert data[lab.PLUGIN] == {"defaultViewers": {"markdown": "Jupytext Notebook", "python": "Jupytext Notebook"},
                                "autosave": False}


def test_install_default_viewer_names_a_broken_file(tmp_path):
    path = lab.settings_dir(tmp_path) / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="overrides.json is not valid JSON"):
        lab.install_default_viewer(tmp_path)


@pytest.mark.slow
def test_jupyterlab_serves_jupytext_notebook_as_default_viewer_for_python(tmp_path):
    pytest.importorskip("jupyterlab")
    settings = lab.install_default_viewer(tmp_path).parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--allow-root", f"--port={port}",
           "--IdentityProvider.token=memcap-test", f"--LabApp.app_settings_dir={settings}",
           f"--ServerApp.root_dir={tmp_path}"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/lab/api/settings/{lab.PLUGIN}?token=memcap-test"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    data = json.load(resp)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within a minute")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert data["schema"]["properties"]["defaultViewers"]["default"] == {"python": "Jupytext Notebook"}
    plugins = {p.name for p in Path(sys.prefix, "share", "jupyter", "labextensions").glob("*")}
    assert "jupyterlab-jupytext" in plugins  # the viewer the default names is installed
