"""Every chapter end to end at smoke scale through papermill, results read back, and the HTML book built
from them: pages, figures, no error output, math rendered by the bundled MathJax (no CDN)."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from memcap.book import build as book
from memcap.book import chapters, execute, exercises, guide, headlines

# one xdist worker builds the smoke book once for every test that reads it (make test runs two workers)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("smoke_build")]


def test_the_smoke_build_group_keeps_to_one_worker(request):
    """Under ``--dist loadgroup`` a grouped test's id carries its group, which is what keeps the group on one worker;
    pytest 9.2 with pytest-xdist 3.8 dropped it, and each worker built the smoke book (about 6 minutes more)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not an xdist worker under --dist loadgroup")
    assert request.node.nodeid.endswith("@smoke_build"), (
        f"{request.node.nodeid!r} lost its xdist group: pytest {pytest.__version__} and this pytest-xdist split "
        "the smoke build's tests across workers (pyproject.toml pins a pytest that keeps it)")


def test_chapter_1_results(smoke_build):
    data = chapters.load_results(smoke_build / "smoke" / "01_memorization")
    r = data["results"]
    assert data["scale"] == "smoke" and data["seed"] == 0
    assert r["arithmetic_round_trips"] == data["preset"]["coded_sequences"]
    assert r["arithmetic_max_overhead_bits"] <= 2.001
    assert r["arithmetic_bits_per_symbol"] < r["best_general_compressor_bits_per_symbol"]
    assert r["mem_u_order4_train_bits_per_seq"] > 10 * max(r["mem_u_order4_heldout_bits_per_seq"], 0.1)
    assert 0 <= r["toy_map_unintended_bits"] < r["toy_map_peak_unintended_bits"]
    assert r["mixture_max_extra_bits"] <= 1 + 1e-9


def test_executed_notebooks_are_complete(smoke_build):
    import nbformat

    for ch in chapters.CHAPTERS:
        nb = nbformat.read(smoke_build / "smoke" / f"{ch.name}.ipynb", as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, ch.name
        assert any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", []) if c.cell_type == "code")
    assert not list((smoke_build / "smoke").glob("*.partial.ipynb"))


def test_plain_papermill_on_a_jupytext_conversion(tmp_path):
    """The second way (book/running.md): jupytext --to ipynb, then the papermill command line."""
    src = execute.source_path(chapters.CHAPTERS[0])
    nb = tmp_path / "01.ipynb"
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "jupytext", "--to", "ipynb", str(src), "-o", str(nb)], check=True, capture_output=True)
    out_dir = tmp_path / "results"
    subprocess.run(
        [bin_dir / "papermill", str(nb), str(tmp_path / "out.ipynb"), "-p", "scale", "smoke", "-p", "output_dir", str(out_dir)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    assert chapters.load_results(out_dir)["scale"] == "smoke"


def test_cli_run_reports_failure_and_exit_code(tmp_path):
    proc = subprocess.run(
        [Path(sys.executable).parent / "memcap", "run", "1", "--scale", "smoke", "--no-progress", "--build-dir", str(tmp_path),
         "-p", "seed", "-4"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    # refused before the chapter starts (a chapter that fails inside: tests/test_chapters.py), in one line
    assert proc.stderr.strip() == "memcap run: error: seed must be a non-negative integer, got seed=-4"
    assert not any(tmp_path.iterdir())


def test_book_has_every_chapter_with_figures_and_no_errors(smoke_html):
    index = (smoke_html / "index.html").read_text()
    for ch in chapters.CHAPTERS:
        page = smoke_html / "chapters" / f"{ch.name}.html"
        assert page.exists(), ch.name
        html = page.read_text()
        assert f"chapters/{ch.name}.html" in index  # listed on the index page
        images = re.findall(r'<img[^>]+src="([^"]+)"', html)
        assert images, f"{ch.name} has no figures"
        for src in images:
            assert (page.parent / src).resolve().exists(), src
        assert "Traceback" not in html and 'class="output traceback' not in html and "output stderr" not in html
        # papermill's injected cell is hidden; the settings show as a table with a reason per setting
        assert "# Parameters" not in html and "injected-parameters" not in html, ch.name
        assert "<th>why</th>" in html or ">why<" in html, f"{ch.name}: no settings table"


def test_book_has_every_claim_with_this_builds_outcome(smoke_build, smoke_html):
    from memcap.book import claims

    page = (smoke_html / "claims.html").read_text()
    for chapter, declared in claims.registry().items():
        saved = chapters.load_results(smoke_build / "smoke" / chapter)
        outcomes = {o["name"]: o for o in saved["claims"]}
        assert set(outcomes) == {c.name for c in declared}, chapter  # every declared claim, checked or skipped
        assert all(o["holds"] is not False for o in outcomes.values() if o["asserted"]), chapter
        for c in declared:
            assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{c.name}</span></code>" in page


def test_book_is_offline(smoke_html):
    for page in smoke_html.rglob("*.html"):
        html = page.read_text()
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//[^"]*"', html)
        assert not remote, f"{page.name} loads {remote}"
    mathjax = smoke_html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.exists()
    chapter = (smoke_html / "chapters" / f"{chapters.CHAPTERS[0].name}.html").read_text()
    assert 'src="../_static/mathjax/tex-chtml.js"' in chapter
    assert r"\mathrm{mem}" in chapter  # the equations are there for MathJax to typeset


def test_chapter_2_results_and_warm_rerun(smoke_build):
    out = smoke_build / "smoke" / "02_capacity"
    data = chapters.load_results(out)
    r = data["results"]
    assert r["trained_this_run"] == r["runs_in_chapter"] > 0  # the first run trained everything
    assert set(r["capacities"]) == {f"L{m['n_layer']}-d{m['width']}" for m in data["preset"]["sweep"]["models"]}
    for c in r["capacities"].values():
        assert 0 < c["capacity_bits"] and c["bits_per_param"] == pytest.approx(c["capacity_bits"] / c["n_params"])
    # the baselines the chapter's claims are measured against, as the chapter wrote them
    assert r["calibration_max_error"] <= data["preset"]["max_calibration_error"]
    assert r["smallest_stored_beyond_fresh"] >= data["preset"]["min_stored_fraction_small"]
    lo, hi = r["exponent_ci"]
    assert lo < r["exponent"] < hi and r["exponent_verdict"]
    assert (smoke_build / "store").is_dir()  # the store lives in the build folder
    # a second run reads every model from the store
    execute.run_chapter("02_capacity", scale="smoke", build_dir=smoke_build, progress=False)
    again = chapters.load_results(out)
    assert again["results"]["trained_this_run"] == 0
    assert again["results"]["alpha_bits_per_param"] == r["alpha_bits_per_param"]
    assert again["elapsed_seconds"] < data["elapsed_seconds"]


def test_chapter_3_results(smoke_build):
    data = chapters.load_results(smoke_build / "smoke" / "03_knowledge")
    r, preset = data["results"], data["preset"]
    widths, exposures = [w["width"] for w in preset["setup"]["widths"]], preset["setup"]["exposures"]
    study = [c for c in preset["exposure_counts"] if c not in exposures] + list(preset["exposure_variants"])
    assert r["trained_this_run"] == r["runs_in_chapter"] == len(widths) * len(exposures) + 3 + len(study)
    ex = r["exposures_study"]
    R_at = {int(c): R for c, R in ex["R_by_exposures"].items()}
    assert sorted(R_at) == sorted(preset["exposure_counts"])
    assert ex["gain"] == pytest.approx(R_at[max(R_at)] - R_at[min(R_at)])
    assert [v["variant"] for v in ex["variants"]] == ["as trained", *preset["exposure_variants"]]
    assert ex["variants"][0]["change_in_R"] == 0
    assert set(r["R_by_width"]) == {f"{w}@{e}" for w in widths for e in exposures}
    assert r["min_R_beyond_fresh"] >= preset["min_R_beyond_fresh"]  # the chapter's baseline claim, as written
    assert r["peak_R_high_exposures"] == max(v["R"] for k, v in r["R_by_width"].items()
                                               if k.endswith(f"@{max(exposures)}"))
    assert {b["kind"] for b in r["bios"]} == {"bioS", "bioS_simple", "bioS, used words only"}
    bios = {b["kind"]: b for b in r["bios"]}  # the pool's vocabulary is the whole world's; the first edition's is not
    assert bios["bioS"]["vocab"] > bios["bioS, used words only"]["vocab"] == bios["bioS"]["used_words"]
    assert set(r["bios_vocabulary"]) >= {"p1_bits_pool", "p1_bits_used", "R_pool", "R_used"}


def test_instructors_guide_gives_exercise_times(smoke_html):
    page = re.sub(r"<[^>]+>", "", (smoke_html / "instructors.html").read_text())  # text only: code is highlighted
    assert "instructors.html" in (smoke_html / "index.html").read_text()
    assert "smoke: chapter, of which exercises" in page
    for ch in chapters.CHAPTERS:
        assert ch.name in page
    assert "memcap assign" in page and "memcap grade" in page and "memcap mark" in page
    # the exercises of each chapter by kind, computed from the chapters
    for row in guide.exercise_counts().itertuples(index=False):
        assert f"{row.chapter}\n{row.computed}\n{row.implemented}\n{row.written}" in page, row.chapter


def test_exercises_ran_with_the_chapters(smoke_build):
    """The book's run executes every reference solution and its graded checks (hidden ones included)."""
    import nbformat

    for ch in chapters.CHAPTERS:
        nb = nbformat.read(smoke_build / "smoke" / f"{ch.name}.ipynb", as_version=4)
        graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                  and c.cell_type == "code"]  # written answers are Markdown, marked by the instructor
        assert len(graded) >= 3 and all(c.get("execution_count") for c in graded), ch.name
        assert all("BEGIN HIDDEN TESTS" in c.source for c in graded), ch.name


def test_plan_lists_exactly_the_runs_the_chapters_trained(smoke_build):
    from memcap.book.plan import plan

    store = smoke_build / "store"
    stored = {p.name for p in store.glob("??/*") if (p / "metrics.json").exists()}
    planned = set()
    for ch in chapters.CHAPTERS:
        table = plan(ch.name, "smoke", store=store, measure_steps=1).table
        if len(table):
            assert table.stored.all(), f"{ch.name}: plan lists runs the chapter did not train"
            planned |= set(table.key)
    assert planned == stored


def _text_lines(html: str) -> set[str]:
    """The page's text, line by line, as a reader (or a copy-paste) sees it: tags dropped, entities decoded."""
    import html as html_lib

    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html))
    return {line.strip() for line in text.splitlines() if line.strip()}


def test_public_book_shows_no_solution_hidden_check_or_rubric(smoke_html):
    """Every line found only in a chapter's solutions, hidden checks and rubrics is absent from its page (and from
    every other file of the built book, the page's source copy included); the exercises show in student form."""
    files = [p for p in smoke_html.rglob("*") if p.is_file() and p.suffix in (".html", ".txt", ".ipynb", ".js")]
    for ch in chapters.CHAPTERS:
        nb = execute.read_chapter(ch)
        secret = exercises.secret_lines(nb)
        assert secret, ch.name
        page = (smoke_html / "chapters" / f"{ch.name}.html").read_text()
        assert not secret & _text_lines(page), f"{ch.name}: {sorted(secret & _text_lines(page))[:5]}"
        related = [p for p in files if ch.name in p.name]
        for path in related:
            leaked = secret & _text_lines(path.read_text(errors="replace"))
            assert not leaked, f"{path.relative_to(smoke_html)} shows {sorted(leaked)[:5]}"
        found = exercises.exercises(nb, ch.name)
        text = _text_lines(page)
        assert "raise NotImplementedError()" in text and ("YOUR ANSWER HERE" in text) == any(e.manual for e in found)
        assert "BEGIN HIDDEN TESTS" not in page and "Rubric" not in page


def test_solutions_book_shows_them(smoke_build, smoke_html):
    index = book.build_book("smoke", smoke_build, execute=False, solutions=True)
    assert index.parent.name == "html-solutions" and index.parent != smoke_html
    for ch in chapters.CHAPTERS:
        page = _text_lines((index.parent / "chapters" / f"{ch.name}.html").read_text())
        secret = exercises.secret_lines(execute.read_chapter(ch))
        assert len(secret & page) >= 0.8 * len(secret), ch.name
        assert any(line.startswith("Rubric") for line in page), ch.name
    assert not (smoke_html / "chapters" / "solutions").exists()


def test_expected_outputs_in_exercise_statements_are_what_the_reference_prints(smoke_build):
    """An exercise statement's "Expected output: `...`" is the text its reference answer cell printed in this
    run, so a statement cannot go stale when the package or torch changes."""
    import nbformat

    checked = 0
    for ch in chapters.CHAPTERS:
        nb = nbformat.read(smoke_build / "smoke" / f"{ch.name}.ipynb", as_version=4)
        for i, cell in enumerate(nb.cells):
            text = " ".join(cell.source.split())  # statements wrap lines anywhere
            if cell.cell_type != "markdown" or "Expected output" not in text:
                continue
            quoted = re.findall(r"`([^`]+)`", text.split("Expected output", 1)[1])
            answer = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
            printed = "".join(o.get("text", "") for o in answer.get("outputs", []))
            for text in quoted:
                assert text in printed, f"{ch.name}: the statement expects {text!r}; the reference printed {printed!r}"
                checked += 1
    assert checked >= 6


def test_a_chapter_records_the_commit_and_date_it_ran_at(smoke_build):
    data = json.loads((smoke_build / "smoke" / "02_capacity" / chapters.RESULTS_FILE).read_text())
    assert re.fullmatch(r"([0-9a-f]{7,}(\+changes)?)?", data["commit"])  # empty outside a git checkout
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", data["finished"])


def test_smoke_build_has_headlines_for_every_training_chapter_and_the_book_shows_them(smoke_build, smoke_html):
    t = headlines.table(headlines.load(smoke_build, "smoke"))
    assert set(t.chapter) == {ch.name for ch in chapters.CHAPTERS[1:]}
    assert t[t.chapter != "07_architecture"].ours.map(math.isfinite).all()
    page = re.sub(r"<[^>]+>", "", (smoke_html / "glance.html").read_text())
    for result in t.result:
        assert result.replace("&", "&amp;") in page, result
    assert "glance.html" in (smoke_html / "index.html").read_text()
    assert (smoke_html / "_images" / "results-at-a-glance.png").exists()
    # memcap estimate on GPT-2 small, with this build's constants (not the papers')
    assert "A real model: GPT-2 small on OpenWebText" in page and "124,439,808 parameters" in page
    assert re.search(r"constants from the build .+? \(scale smoke,", page) and "memorized at most: min(H, αP)" in page


def test_a_page_shows_the_parameters_it_was_built_with_and_folds_its_settings(smoke_html):
    page = (smoke_html / "chapters" / "02_capacity.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert 'scale = "smoke"' in text and 'scale = "default"' not in text
    assert re.search(r"scale: smoke \| seed: 0 \| device: \S+", text)  # the header, on a line of its own
    start = page.find("<details><summary>The settings at this scale:")
    assert 0 < start < page.find("<h2>1. Data with a known number")  # folded, before the chapter's first section
    assert page.find("</details>", start) > start


def _values(results: dict) -> dict:
    """Every value of a chapter's results but the counts of runs trained this time (a warm run trains none)."""
    return {k: v for k, v in results.items() if k != "trained_this_run"}


def test_a_warm_rerun_reads_its_kept_measurements_and_repeats_every_number(smoke_build, tmp_path):
    """Chapters 4 and 5 keep their quantization sweeps, attacks and extractions in the store (run.memo); re-run on
    the same store they read them and state every result again, value for value."""
    memo = smoke_build / "store" / ".memo"
    kept = sorted(memo.rglob("*.json"))
    assert kept, "the smoke build kept no measurement"
    mtimes = {p: p.stat().st_mtime_ns for p in kept}
    execute.run_chapters(["04", "05"], scale="smoke", build_dir=tmp_path, progress=False, log=lambda m: None,
                         parameters={"store_dir": str(smoke_build / "store")})
    for name in ("04_precision", "05_membership"):
        cold = json.loads((smoke_build / "smoke" / name / chapters.RESULTS_FILE).read_text())["results"]
        warm = json.loads((tmp_path / "smoke" / name / chapters.RESULTS_FILE).read_text())["results"]
        assert warm["trained_this_run"] == 0
        assert _values(warm) == _values(cold), name
    assert sorted(memo.rglob("*.json")) == kept  # nothing measured again: no new entry, none rewritten
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
