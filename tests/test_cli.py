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


def test_the_project_is_found_from_any_folder(monkeypatch, tmp_path):
    from memcap.book.chapters import get_chapter
    from memcap.book.execute import project_root, source_path

    checkout = Path(__file__).resolve().parents[1]
    monkeypatch.delenv("MEMCAP_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)  # a user's own folder, far from the checkout the package is installed from
    assert project_root() == checkout
    assert source_path(get_chapter("01")).exists()
    monkeypatch.setenv("MEMCAP_ROOT", str(tmp_path))  # the variable still wins
    assert project_root() == tmp_path.resolve()


def test_bad_parameter_values_are_named_before_a_chapter_starts(tmp_path):
    from memcap.book.course import instructor_notebook
    from memcap.book.execute import run_chapter, run_chapters

    cases = [({"seed": "abc"}, "seed must be"), ({"seed": -1}, "seed must be"),
             ({"device": "tpu"}, "unknown device 'tpu'"), ({"store_dir": 3}, "parameter store_dir takes str values")]
    for params, message in cases:
        with pytest.raises(ValueError, match=message):
            run_chapters(["02"], scale="smoke", parameters=params, build_dir=tmp_path / "build")
        with pytest.raises(ValueError, match=message):
            run_chapter("02", scale="smoke", parameters=params, build_dir=tmp_path / "build")
    assert not (tmp_path / "build").exists()  # nothing ran, nothing was written
    from memcap.book.chapters import get_chapter
    from memcap.book.execute import check_values

    known = {"store_dir": "", "output_dir": "", "seed": 0, "device": "auto"}
    check_values(get_chapter("02"), known, {"store_dir": tmp_path, "output_dir": Path("out"), "seed": 3})  # all fine
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        instructor_notebook("01", "smoke", {"device": "tpu"})
    nb = instructor_notebook("01", "smoke", {"device": "cuda"})  # the students' machines', not this one's
    assert any("device = \"cuda\"" in c.source or "device = 'cuda'" in c.source for c in nb.cells)


@pytest.mark.parametrize("argv", [["run", "1"], ["book", "--no-execute"], ["plan", "2"], ["results"], ["claims", "2"],
                                  ["assign", "1"], ["estimate", "--params", "1000", "--vocab", "8", "--seq-len", "8",
                                                    "--sequences", "10"]])
def test_every_command_names_an_unknown_scale(argv, tmp_path, capsys):
    folder = ["--course-dir", str(tmp_path / "course")] if argv[0] == "assign" else (
        ["--build-dir", str(tmp_path / "build")] if argv[0] in ("run", "book", "results", "estimate") else [])
    assert cli.main(argv + folder + ["--scale", "huge"]) != 0
    assert "unknown scale 'huge'; allowed: ['smoke', 'default', 'paper']" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_a_scheduler_that_is_no_address_is_not_said_to_answer():
    from memcap.infra.cluster import check_scheduler

    with pytest.raises(ValueError, match=r"cannot reach the Dask scheduler at 'nonsense': not an address"):
        check_scheduler("nonsense")


def test_options_are_named_as_typed_and_checked_before_anything_is_written(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = [(["plan", "2", "--scale", "smoke", "--until-saturated", "3"], "--until-saturated takes a power of two"),
             (["plan", "2", "--scale", "smoke", "--store", str(a_file)], f"--store {a_file} is a file, not a folder"),
             (["batch", "1", "--grid", "seed=1", "--workers", "0", "--out", str(tmp_path / "b")],
              "--workers takes the number of grid points run at once, at least 1, got --workers 0"),
             (["results", "--scale", "smoke", "--build-dir", str(tmp_path / "none"), "--readme", str(tmp_path / "x.md")],
              "no chapter results in")]
    for argv, message in cases:
        assert cli.main(argv) == 1
        assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_memcap_data_caches_where_the_chapters_look_from_any_folder(monkeypatch, tmp_path):
    from memcap.data import text

    checkout = Path(__file__).resolve().parents[1]
    if not text.SHAKESPEARE.path(checkout / "build" / "data").exists():
        pytest.skip("the corpus is not in the project's cache: run `memcap data`")  # nothing downloads in a test
    monkeypatch.delenv(text.CACHE_ENV, raising=False)
    monkeypatch.delenv("MEMCAP_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["data"]) == 0
    assert not any(tmp_path.iterdir())  # the project's build/data, found and checked; nothing fetched here
