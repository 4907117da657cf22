"""`memcap estimate`: predictions from a built book's fits, or from the papers when there is none."""

import json
import math

import pytest

from memcap import papers
from memcap.book import cli, estimate


def _build(tmp_path, **chapters):
    for name, results in chapters.items():
        folder = tmp_path / "default" / name
        folder.mkdir(parents=True)
        preset = {"sweep": {"vocab_size": 4, "seq_len": 8}} if name == "02_capacity" else {}
        (folder / "results.json").write_text(json.dumps({"scale": "default", "commit": "abc1234", "preset": preset,
                                                         "finished": "2026-12-02T09:00:00+00:00", "results": results}))
    return tmp_path


CH2 = dict(alpha_bits_per_param=3.0, alpha_ci=[2.5, 3.5], capacities={"a": dict(n_params=1000), "b": dict(n_params=8000)})


def test_without_a_build_the_papers_values_are_used_and_said():
    c = estimate.constants(build_dir="/nonexistent/memcap-build")
    assert c.source.startswith("the papers (no chapter 2 results in /nonexistent/memcap-build/default)")
    table1 = papers.table1()
    assert c.alpha["bf16"] == (papers.MORRIS["alpha_bf16_mean"].value, table1.bf16.min(), table1.bf16.max())
    assert c.law is None and c.knowledge_R == {1000: 2.0, 100: 1.0}
    small = estimate.estimate(n_params=100_000, vocab_size=2, seq_len=10, n_sequences=1000, constants=c)
    assert small.dataset_bits == 10_000 and small.memorized_bits == 10_000  # H < αP: everything fits
    assert small.memorized_range == (10_000, 10_000) and small.ratio == pytest.approx(10_000 / (3.83 * 100_000))
    big = estimate.estimate(n_params=100_000, vocab_size=2, seq_len=10, n_sequences=10**6, constants=c)
    assert big.memorized_bits == pytest.approx(3.83 * 100_000)  # H > αP: capacity caps it
    assert big.memorized_range == pytest.approx((table1.fp32.min() * 1e5, table1.fp32.max() * 1e5))
    assert big.f1 is None and "membership F1: not predicted" in estimate.text(big)
    assert big.knowledge_bits == {100: 100_000, 1000: 200_000}
    assert big.warnings == ["α was measured at V = 2,048, S = 64, not at V = 2, S = 10: bits per parameter change "
                            "with V (chapter 2, section 9)"]
    table1_shape = estimate.estimate(n_params=100_000, vocab_size=2048, seq_len=64, n_sequences=10, constants=c)
    assert table1_shape.warnings == []


def test_a_builds_fits_are_used_with_their_intervals_and_ranges(tmp_path):
    build = _build(tmp_path, **{
        "02_capacity": CH2,
        "03_knowledge": dict(exposures=[1000, 100], peak_R_high_exposures=1.8, peak_R_low_exposures=0.4),
        "04_precision": dict(alpha_by_precision=dict(fp32=1.0, bf16=0.9)),
        "05_membership": dict(alpha=2.0, law=dict(c1=1.0, c2=-2.0, c3=0.0),
                              law_ci=dict(c1=[0.9, 1.1], c2=[-3.0, -1.0], c3=[-0.5, 0.5]), law_x_range=[-1.0, 1.0])})
    c = estimate.constants(build, "default")
    assert "build" in c.source and "commit abc1234, 2026-12-02" in c.source
    assert c.alpha["fp32"] == (3.0, 2.5, 3.5) and c.alpha["bf16"] == pytest.approx((2.7, 2.25, 3.15))
    # dataset bits = capacity as the law measures it (its own alpha, 2.0): x = 0, F1 = (1 + 1 * sigmoid(0)) / 2
    e = estimate.estimate(n_params=4000, vocab_size=4, seq_len=8, n_sequences=500, exposures=1000, constants=c)
    assert e.dataset_bits == 8000 and e.capacity_bits == 12_000 and e.memorized_range == (8000, 8000)
    assert e.f1 == pytest.approx(0.75) and e.f1_range[0] < 0.75 < e.f1_range[1]
    assert e.knowledge_bits == {100: 1600, 1000: 7200} and e.warnings == []
    far = estimate.estimate(n_params=20_000, vocab_size=4, seq_len=8, n_sequences=500, exposures=300, constants=c,
                            precision="bf16")
    other_shape = estimate.estimate(n_params=4000, vocab_size=8, seq_len=8, n_sequences=500, constants=c)
    assert other_shape.warnings[0].startswith("α was measured at V = 4, S = 8, not at V = 8, S = 8")
    assert far.capacity_bits == pytest.approx(2.7 * 20_000)
    said = " ".join(far.warnings)
    assert "20,000 parameters is outside the sizes α was measured on (1,000 to 8,000)" in said
    assert "x = log2(dataset bits / capacity) = -2.32 is outside the range" in said
    assert "measured at [100, 1000] exposures, not at 300" in said


def test_bad_values_are_named():
    c = estimate.constants(build_dir="/nonexistent/memcap-build")
    with pytest.raises(ValueError, match="n_sequences must be a positive integer, got n_sequences=0"):
        estimate.estimate(n_params=10, vocab_size=2, seq_len=2, n_sequences=0, constants=c)
    with pytest.raises(ValueError, match="precision must be one of \\['bf16', 'fp32'\\].*got precision='int3'"):
        estimate.estimate(n_params=10, vocab_size=2, seq_len=2, n_sequences=1, precision="int3", constants=c)
    with pytest.raises(ValueError, match="dataset_bits must be a positive number, got dataset_bits=nan"):
        estimate.estimate(n_params=10, vocab_size=2, seq_len=2, n_sequences=1, dataset_bits=math.nan, constants=c)
    with pytest.raises(ValueError, match="vocab_size must be at least 2 .*got vocab_size=1"):
        estimate.estimate(n_params=10, vocab_size=1, seq_len=2, n_sequences=1, constants=c)


def test_estimate_command_computes_the_shape_and_reports_errors_in_one_line(tmp_path, capsys):
    argv = ["estimate", "--shape", "2", "128", "--vocab", "2048", "--seq-len", "64", "--sequences", "3000",
            "--build-dir", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "model: 667,136 parameters, fp32" in out  # Morris et al.'s Table 1 prints 667K for L2-d128
    assert "dataset: H = 2,112,000 bits" in out and "constants from the papers" in out
    _build(tmp_path, **{"02_capacity": CH2})
    assert cli.main(argv) == 0 and "constants from the build" in capsys.readouterr().out
    assert cli.main(["estimate", "--params", "-5", "--vocab", "2", "--seq-len", "2", "--sequences", "2",
                     "--build-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("memcap estimate: error: n_params must be a positive integer, got n_params=-5")
    assert len(err.strip().splitlines()) == 1
    assert cli.main(["estimate", "--shape", "0", "64", "--vocab", "2", "--seq-len", "2", "--sequences", "2",
                     "--build-dir", str(tmp_path)]) == 1
    assert "--shape takes a number of layers and a width, each at least 1, got --shape 0 64" in capsys.readouterr().err


def test_predicted_f1_stays_within_zero_and_one(tmp_path):
    build = _build(tmp_path, **{"02_capacity": CH2, "05_membership": dict(
        alpha=2.0, law=dict(c1=1.5, c2=-2.0, c3=0.0), law_ci=dict(c1=[1.4, 1.6], c2=[-3.0, -1.0], c3=[-0.5, 0.5]))})
    # dataset bits far below capacity: x very negative, sigma -> 1, the law's F1 -> (1 + 1.5) / 2 = 1.25
    e = estimate.estimate(n_params=10**6, vocab_size=4, seq_len=8, n_sequences=10, constants=estimate.constants(build))
    assert e.f1 == 1.0 and e.f1_range == (1.0, 1.0)


def test_a_law_fitted_against_no_capacity_predicts_no_f1_and_says_why(tmp_path):
    # a build whose chapter 5 measured alpha <= 0 (its models stored nothing): the law has no axis to read
    build = _build(tmp_path, **{"02_capacity": CH2, "05_membership": dict(
        alpha=-0.1, law=dict(c1=1.0, c2=-2.0, c3=0.0), law_ci=dict(c1=[0.9, 1.1], c2=[-3.0, -1.0], c3=[-0.5, 0.5]))})
    e = estimate.estimate(n_params=10**4, vocab_size=4, seq_len=8, n_sequences=1000,
                          constants=estimate.constants(build))
    assert e.f1 is None and e.f1_range is None
    assert any("no membership prediction" in w and "-0.1" in w for w in e.warnings)
