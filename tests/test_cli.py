"""The command line answers bad input with one line naming it, passes JupyterLab's options on, and keeps CI logs
free of progress-bar redraws."""

import socketserver
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from memcap.book import cli, lab


def one_line_error(capsys, argv: list[str]) -> str:
    """Run ``memcap ARGV`` in this process: it must fail with exit status 1 and one line on stderr."""
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder")
    return path


@pytest.mark.parametrize("argv, option", [
    (["run", "01", "--scale", "smoke", "--build-dir", "{file}"], "--build-dir"),
    (["run", "01", "--scale", "smoke", "--build-dir", "{file}/sub"], "--build-dir"),
    (["run", "01", "--scale", "smoke", "--build-dir", "{tmp}/b", "-p", "output_dir", "{file}"], "output_dir"),
    (["batch", "01", "--grid", "seed=0", "--grid", "scale=smoke", "--out", "{file}"], "--out"),
    (["data", "--cache", "{file}"], "--cache"),
    (["assign", "01", "--course-dir", "{file}"], "--course-dir"),
    (["mark", "01", "someone", "--course-dir", "{file}"], "--course-dir"),
])
def test_a_file_where_a_folder_is_expected_is_one_line(capsys, tmp_path, a_file, argv, option):
    argv = [a.format(file=a_file, tmp=tmp_path) for a in argv]
    err = one_line_error(capsys, argv)
    assert option in err and str(a_file) in err and "not a folder" in err
    assert a_file.read_text() == "not a folder"  # untouched
    assert not (tmp_path / "b").exists()  # refused before anything ran


class Garbage(socketserver.BaseRequestHandler):
    def handle(self):  # a web server, say: it answers, but not as Dask does
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>\n")


@pytest.fixture
def not_dask():
    pytest.importorskip("distributed")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_scheduler_address_that_answers_but_is_not_dask_is_named(capsys, tmp_path, not_dask):
    from memcap.infra.cluster import check_scheduler

    with pytest.raises(ValueError, match=f"{not_dask}.*not a Dask scheduler"):
        check_scheduler(not_dask, timeout=5)
    for argv in (["run", "01", "--scale", "smoke", "--build-dir", str(tmp_path / "b")],
                 ["batch", "01", "--grid", "seed=0", "--grid", "scale=smoke", "--out", str(tmp_path / "b")]):
        err = one_line_error(capsys, [*argv, "--scheduler", not_dask])
        assert not_dask in err and "not a Dask scheduler" in err
    assert not (tmp_path / "b").exists()


def test_a_negative_seed_is_refused_by_plan_and_assign(capsys, tmp_path):
    err = one_line_error(capsys, ["plan", "01", "--scale", "smoke", "--seed", "-1", "--store", str(tmp_path / "s")])
    assert "seed=-1" in err
    err = one_line_error(capsys, ["assign", "01", "-p", "seed", "-1", "--course-dir", str(tmp_path / "course")])
    assert "seed=-1" in err
    assert not (tmp_path / "course").exists()  # no student notebook written with it


def test_lab_passes_jupyterlab_options_on(monkeypatch, tmp_path):
    (tmp_path / "notebooks").mkdir()
    command = lab.command(["--no-browser", "--port=8890"], root=tmp_path)
    assert command[1:] == ["lab", "--no-browser", "--port=8890", f"--ServerApp.root_dir={tmp_path / 'notebooks'}"]
    assert lab.command(["--notebook-dir=/elsewhere"], root=tmp_path)[2:] == ["--notebook-dir=/elsewhere"]

    ran = []
    monkeypatch.setattr(lab, "install_default_viewer", lambda: None)  # not this environment's settings in a test
    monkeypatch.setattr(lab.os, "execvp", lambda file, args: ran.append(args))
    monkeypatch.setenv("MEMCAP_ROOT", str(tmp_path))
    assert cli.main(["lab", "--no-browser", "--port", "8890", "--ServerApp.token=x"]) == 0
    assert ran == [lab.command(["--no-browser", "--port", "8890", "--ServerApp.token=x"], root=tmp_path)]
    with pytest.raises(SystemExit):  # the other commands still refuse what they do not know
        cli.main(["list", "--no-browser"])


@pytest.mark.slow
def test_no_progress_bar_redraws_when_the_output_is_not_a_terminal(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "memcap.book.cli", "run", "01", "--scale", "smoke", "--build-dir",
                           str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"01_memorization done in" in proc.stderr
    assert b"\r" not in proc.stderr and b"\r" not in proc.stdout
