"""The results at a glance: `memcap results`, the headline table, and the book's page built from it."""

import json
import math
import re

import pandas as pd
import pytest

from memcap import papers
from memcap.book import chapters, cli, headlines


def _saved(**results):
    return {ch: {"scale": "default", "commit": "1234abc", "finished": "2026-12-01T08:00:00+00:00", "results": r}
            for ch, r in results.items()}


def test_table_reads_each_chapter_beside_the_papers_value():
    saved = _saved(
        **{"02_capacity": dict(alpha_bits_per_param=3.4, alpha_ci=[3.2, 3.6], exponent=1.05, exponent_ci=[0.9, 1.2],
                               double_descent=dict(peaks=[dict(params=900, peak_ratio=0.8, peak_low=0.7, peak_high=0.9),
                                                          dict(params=100, peak_ratio=0.5, peak_low=0.4, peak_high=0.6)])),
           "03_knowledge": dict(exposures=[1000, 100], peak_R_high_exposures=1.9, peak_R_low_exposures=0.5),
           "07_architecture": {"comparison": {"gated MLP vs GPT-2, 100 exp.": 0.62, "random junk, 300 exp.": "inf",
                                              "repetitive junk, 30 exp.": 2.0, "something new, 100 exp.": 9.0,
                                              "junk + domain token, 300 exp. (no junk: 100)": 1.2}}})
    t = headlines.table(saved).set_index("result")
    alpha = t.loc["capacity α, fp32 (bits/param; a lower bound)"]
    assert (alpha.ours, alpha.low, alpha.high) == (3.4, 3.2, 3.6)
    assert alpha.paper == papers.MORRIS["alpha_fp32_mean"].value
    assert alpha.paper_source == "Morris et al. 2025, Table 1"
    assert (alpha.scale, alpha.commit, alpha.date) == ("default", "1234abc", "2026-12-01")
    peak = t.loc["double descent: test loss peaks at dataset bits / capacity (largest model)"]
    assert (peak.ours, peak.low, peak.high) == (0.8, 0.7, 0.9)  # the largest model's
    high = t.loc["knowledge capacity: peak R(F) at 1000 exposures (bits/param)"]
    assert high.ours == 1.9 and high.paper == papers.ALLEN_ZHU_LI["peak_R_1000_exposures"].value
    low = t.loc["knowledge capacity: peak R(F) at 100 exposures (bits/param)"]
    assert low.paper == papers.ALLEN_ZHU_LI["peak_R_100_exposures"].value and math.isnan(low.low)
    gated = t.loc["capacity lost, gated MLP vs GPT-2, 100 exposures (R of GPT-2 / R)"]
    assert gated.ours == 0.62 and gated.paper == papers.ALLEN_ZHU_LI["llama_loss_100"].value
    junk = t.loc["capacity lost, random junk, 300 exposures (R without junk / R)"]
    assert junk.ours == math.inf and junk.paper == papers.ALLEN_ZHU_LI["junk_loss_300"].value
    assert math.isnan(t.loc["capacity lost, repetitive junk, 30 exposures (R without junk / R)"].paper)  # no such count
    domain = t.loc["capacity lost, junk + domain token, 300 exposures (R_values without junk at 100 / R_values)"]
    assert domain.ours == 1.2 and domain.paper == papers.ALLEN_ZHU_LI["domain_tag_loss_300"].value
    assert not any("something new" in r for r in t.index)  # a variant with no declared meaning is not guessed at
    assert set(t.chapter) == {"02_capacity", "03_knowledge", "07_architecture"}  # chapters not run: no rows
    md = headlines.markdown(t.reset_index())
    assert "| 1.9 | ≥ 2 | Allen-Zhu & Li 2024, Results 1-4, Fig. 1 |" in md  # the paper states a bound
    assert "| inf | ≈ 3 | Allen-Zhu & Li 2024, Results 10-12 |" in md and "| 3.4 [3.2, 3.6] | 3.83 |" in md


def test_a_result_an_older_build_lacks_is_left_out_and_the_rest_kept():
    t = headlines.table(_saved(**{"04_precision": dict(bf16_over_fp32=0.93)}))
    assert t.result.tolist() == ["α bf16 / α fp32"]
    assert t.paper.iloc[0] == pytest.approx(papers.MORRIS["alpha_bf16_mean"].value
                                            / papers.MORRIS["alpha_fp32_mean"].value)


def test_markdown_and_csv_hold_the_table(tmp_path):
    t = headlines.table(_saved(**{"02_capacity": dict(alpha_bits_per_param=3.4, alpha_ci=[3.2, 3.6])}))
    md, csv = headlines.write(t, tmp_path / "out")
    assert "| 02 | capacity α, fp32 (bits/param; a lower bound) | 3.4 [3.2, 3.6] | 3.83 | Morris et al. 2025, Table 1 " \
           "| default, 1234abc, 2026-12-01 |" in md.read_text()
    back = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    assert back.columns.tolist() == headlines.COLUMNS and back.ours.tolist() == [3.4]


def test_load_names_a_damaged_results_file(tmp_path):
    folder = tmp_path / "default" / "02_capacity"
    folder.mkdir(parents=True)
    (folder / chapters.RESULTS_FILE).write_text('{"results": {"alpha')
    with pytest.raises(ValueError, match=r"02_capacity/results.json is not valid JSON .*re-run chapter 02_capacity"):
        headlines.load(tmp_path, "default")
    (folder / chapters.RESULTS_FILE).write_text('{"a": "\x01"}')  # json's message ends in "at": said once
    with pytest.raises(ValueError, match=r"not valid JSON \(Invalid control character, line 1 column 8\)"):
        headlines.load(tmp_path, "default")
    (folder / chapters.RESULTS_FILE).write_text("[1, 2]")
    with pytest.raises(ValueError, match="holds no chapter results"):
        headlines.load(tmp_path, "default")


def test_results_command_prints_and_writes_the_table(tmp_path, capsys):
    folder = tmp_path / "smoke" / "02_capacity"
    folder.mkdir(parents=True)
    (folder / chapters.RESULTS_FILE).write_text(json.dumps(
        {"scale": "smoke", "results": {"alpha_bits_per_param": 1.1, "alpha_ci": [0.7, 1.5]}}))
    assert cli.main(["results", "--scale", "smoke", "--build-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "| 02 | capacity α, fp32 (bits/param; a lower bound) | 1.1 [0.7, 1.5] | 3.83 |" in out
    assert "not run in this build: 01_memorization, 03_knowledge" in err
    assert (tmp_path / "smoke" / "results.md").exists() and (tmp_path / "smoke" / "results.csv").exists()
    assert cli.main(["results", "--scale", "default", "--build-dir", str(tmp_path)]) == 1
    assert "no chapter results in" in capsys.readouterr().err
    assert cli.main(["results", "--scale", "huge", "--build-dir", str(tmp_path)]) == 1
    assert "unknown scale 'huge'" in capsys.readouterr().err
    (tmp_path / "smoke" / "results.md").unlink()
    assert cli.main(["results", "--scale", "smoke", "--build-dir", str(tmp_path), "--readme", str(tmp_path / "no.md")]) == 1
    assert f"--readme {tmp_path / 'no.md'}: no such file" in capsys.readouterr().err
    assert not (tmp_path / "smoke" / "results.md").exists()  # refused before anything was written


def test_readme_block_is_replaced_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\ntext\n{headlines.README_START}\nold table\n{headlines.README_END}\n\n## next\n")
    t = headlines.table(_saved(**{"02_capacity": dict(alpha_bits_per_param=3.4, alpha_ci=[3.2, 3.6], exponent=1.0,
                                                      exponent_ci=[0.9, 1.1])}))
    headlines.update_readme(readme, t)
    text = readme.read_text()
    assert text.startswith("# title\n\ntext\n<!-- results:start -->\n| ch. | result |") and "old table" not in text
    assert text.endswith("<!-- results:end -->\n\n## next\n")
    assert "| 02 | capacity α, fp32 (bits/param; a lower bound) | 3.4 [3.2, 3.6] | 3.83 (Morris et al. 2025, " \
           "Table 1) | default, 2026-12-01 |" in text
    assert "exponent" not in text  # the README lists only results the papers publish a value for
    (tmp_path / "other.md").write_text("no block here\n")
    with pytest.raises(ValueError, match="other.md has no '<!-- results:start -->'"):
        headlines.update_readme(tmp_path / "other.md", t)
