"""The claim registry: declarations that match the presets and the chapters, and a ledger that fails when it must."""

import json
import re
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from memcap.book import claims
from memcap.book.chapters import CHAPTERS
from memcap.book.claims import ClaimFailed, ClaimsFailed, Ledger
from memcap.book.presets.claim import REPLICATIONS_NEEDED, Claim, declare
from memcap.book.cli import main
from memcap.book.presets import CLAIMS, PRESETS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _toy():
    return declare(
        "99_toy",
        Claim("grows", "it grows", fixed="2026-12-01"),
        Claim("big", "it is big", settings=("min_size",), fixed="2026-12-01"),
        Claim("small_p", "a test rejects", settings=("test_level",), fixed="2026-12-01"),
        Claim("inside", "it lands inside", settings=("peak_range",), fixed="2026-12-01"),
        Claim("revised", "changed after the data", settings=("min_size",), fixed="2026-12-01", revised=True,
              replicated_seeds={"smoke": (1,)}),
        Claim("shown", "only shown", kind="observed", fixed="2026-12-01"),
    )


PRESET = SimpleNamespace(min_size=2.0, test_level=0.01, peak_range=(0.3, 1.5))


def test_a_claim_judges_its_value_against_its_threshold():
    big, small_p, inside = _toy()[1:4]
    assert big.judge(2.0, PRESET) and not big.judge(1.9, PRESET)
    assert small_p.judge(0.009, PRESET) and not small_p.judge(0.01, PRESET)
    assert inside.judge(1.0, PRESET) and not inside.judge(1.6, PRESET)
    assert big.margin(2.5, PRESET) == 0.5 and inside.margin(1.4, PRESET) == pytest.approx(0.1)
    assert big.judge(float("inf"), PRESET) and big.judge(float("nan"), PRESET) is None
    assert big.margin(float("inf"), PRESET) == "inf"  # JSON holds it as text
    assert big.judge(3.0, SimpleNamespace(min_size=None)) is None
    above = Claim("rho", "an interval above zero", settings=("min_rho",), bound="above", fixed="2026-12-01")
    assert not above.judge(0.0, SimpleNamespace(min_rho=0.0)) and above.judge(0.01, SimpleNamespace(min_rho=0.0))


def test_a_revised_claim_is_shown_until_replicated_on_two_fresh_seeds():
    revised = _toy()[4]
    assert not revised.asserted(PRESET, "smoke")
    again = Claim("revised", "changed", settings=("min_size",), fixed="2026-12-01", revised=True,
                  replicated_seeds={"smoke": (1, 2)})
    assert again.asserted(PRESET, "smoke")
    once = Claim("x", "x", fixed="2026-12-01", revised=True, replicated_seeds={"smoke": (1, 1)})
    assert not once.asserted(PRESET, "smoke")
    assert Claim("z", "z", settings=("min_size",), fixed="2026-12-01").asserted(SimpleNamespace(min_size=0.0),
                                                                              "default")


def test_replication_counts_only_at_its_own_scale_and_revision_only_where_it_happened():
    smoke_seeds = Claim("r", "r", fixed="2026-12-01", revised=True, replicated_seeds={"smoke": (1, 2)})
    assert [smoke_seeds.asserted(PRESET, s) for s in ("smoke", "default", "paper")] == [True, False, False]
    at_default = Claim("d", "d", fixed="2026-12-01", revised=("default",))
    assert [at_default.asserted(PRESET, s) for s in ("smoke", "default", "paper")] == [True, False, True]
    row = at_default.row(PRESET, "default")
    assert (row["revised"], row["replicated_seeds"]) == (True, [])
    assert smoke_seeds.row(PRESET, "smoke")["replicated_seeds"] == [1, 2]
    with pytest.raises(ValueError, match="unknown scale='huge'"):
        smoke_seeds.asserted(PRESET, "huge")


@pytest.mark.parametrize("bad, error, message", [
    (dict(replicated_seeds=(1, 2)), TypeError, r"integer seeds by scale, e\.g\. \{'default': \(1, 2\)\}; got "
                                               r"replicated_seeds=\(1, 2\)"),
    (dict(replicated_seeds={"smoke": "34"}), TypeError, r"replicated_seeds=\{'smoke': '34'\}"),
    (dict(replicated_seeds={"smoke": (1.7, 2.2)}), TypeError, r"\(1\.7, 2\.2\)"),
    (dict(replicated_seeds={"smoke": (True, 2)}), TypeError, r"\(True, 2\)"),
    (dict(replicated_seeds=(("smoke", (1,)), ("smoke", (2,)))), ValueError, "a scale given twice"),
    (dict(replicated_seeds={"huge": (1, 2)}), ValueError, "unknown scale='huge'"),
    (dict(revised=("default",), replicated_seeds={"smoke": (1, 2)}), ValueError,
     r"replicated_seeds at \['smoke'\], where it is not revised"),
    (dict(revised=None), TypeError, "revised=None"),
    (dict(revised="default"), TypeError, "revised='default'"),
    (dict(revised=("huge",)), ValueError, "unknown scale='huge'"),
])
def test_a_bad_revision_or_replication_is_named(bad, error, message):
    with pytest.raises(error, match=message):
        Claim("s", "s", fixed="2026-12-01", **{"revised": True, **bad})


def test_the_claims_scales_are_the_books():
    from memcap.book.chapters import SCALES
    from memcap.book.presets import claim

    assert claim.SCALES == SCALES


@pytest.mark.parametrize("bad, message", [
    (dict(name="Bad Name"), "lower-case identifier"), (dict(kind="finding"), "unknown kind"),
    (dict(fixed="yesterday"), "ISO date"), (dict(settings="min_size"), "tuples of names"),
    (dict(bound="over"), "unknown bound"),
])
def test_a_bad_declaration_names_what_is_wrong(bad, message):
    kw = dict(name="ok", statement="s", fixed="2026-12-01") | bad
    with pytest.raises((ValueError, TypeError), match=message):
        Claim(**kw)
    with pytest.raises(ValueError, match="declared twice: \\['a'\\]"):
        declare("x", Claim("a", "s", fixed="2026-12-01"), Claim("a", "t", fixed="2026-12-01"))


def test_the_ledger_raises_on_a_failed_asserted_claim_and_writes_every_outcome(tmp_path):
    ledger = Ledger("99_toy", "smoke", PRESET, tmp_path, collect=False, declared=_toy())
    assert ledger.check("grows", True, 1.5)
    assert ledger.check("shown", False, 0.0) is False  # observed: recorded, never raised
    with pytest.raises(ClaimFailed, match=r"claim 99_toy/big failed: it is big; measured 1.0, threshold 2.0"):
        ledger.check("big", value=1.0)
    saved = json.loads((tmp_path / claims.CLAIMS_FILE).read_text())
    assert {c["name"]: c["holds"] for c in saved["claims"]} == {
        "grows": True, "big": False, "small_p": None, "inside": None, "revised": None, "shown": False}
    with pytest.raises(KeyError, match="declares no claim 'typo'"):
        ledger.check("typo", True)
    with pytest.raises(ValueError, match="asserted at smoke but was given no outcome"):
        ledger.check("inside", value="a string")


def test_a_nan_on_an_asserted_numeric_claim_is_a_failure_and_a_repeated_check_keeps_the_smaller_margin(tmp_path):
    ledger = Ledger("99_toy", "smoke", PRESET, tmp_path, collect=False, declared=_toy())
    with pytest.raises(ClaimFailed, match="99_toy/big failed"):
        ledger.check("big", value=float("nan"), detail="no runs")
    assert ledger.outcomes["big"]["holds"] is False and ledger.outcomes["big"]["detail"] == "measured NaN; no runs"
    ledger.check("small_p", value=0.001)
    ledger.check("small_p", value=0.009)  # both hold: the one nearer the threshold is the one shown
    ledger.check("small_p", value=0.002)
    assert ledger.outcomes["small_p"]["value"] == 0.009
    shown = Ledger("99_toy", "smoke", SimpleNamespace(min_size=None, test_level=None, peak_range=None),
                   collect=False, declared=_toy())
    assert shown.check("big", value=float("nan")) is None  # not asserted: recorded as not judged, nothing raised
    assert shown.outcomes["big"]["value"] == "nan" and shown.outcomes["big"]["holds"] is None
    collecting = Ledger("99_toy", "smoke", PRESET, collect=True, declared=_toy())
    assert collecting.check("big", holds=True, value=float("nan")) is False  # a NaN fails even when told it holds
    collecting.check("big", value=1.5)  # a milder failure does not hide the NaN
    assert collecting.outcomes["big"]["detail"] == "measured NaN"
    collecting.check("inside", value=-float("inf"))
    collecting.check("inside", value=1.6)
    assert collecting.outcomes["inside"]["value"] == "-inf"


def test_collect_mode_goes_on_and_fails_at_the_end_listing_every_failed_and_unchecked_claim(tmp_path):
    ledger = Ledger("99_toy", "smoke", PRESET, tmp_path, collect=True, declared=_toy())
    assert ledger.check("big", value=1.0) is False
    ledger.check("big", value=5.0)  # checked again: the worse outcome is kept
    ledger.check("small_p", value=0.5)
    ledger.check("grows", True)
    with pytest.raises(ClaimsFailed) as err:
        ledger.finish()
    text = str(err.value)
    assert "3 claim(s) of 99_toy at smoke failed" in text
    assert "99_toy/big failed" in text and "99_toy/small_p failed" in text
    assert "99_toy/inside was never checked" in text and "revised" not in text  # shown claims need no check
    assert [o["name"] for o in ledger.failed()] == ["big", "small_p"]


def test_every_declared_claim_uses_settings_its_presets_have_and_every_claim_setting_is_declared():
    for chapter, declared in CLAIMS.items():
        for scale, preset in PRESETS[chapter].items():
            names = {f.name for f in fields(preset)}
            for c in declared:
                assert c.chapter == chapter
                missing = set(c.settings) - names
                assert not missing, f"{chapter}/{c.name} at {scale}: no setting {sorted(missing)}"
            used = {s for c in declared for s in c.settings}
            claimed = {f.name for f in fields(preset) if f.metadata.get("why", "").startswith("claim")}
            assert claimed <= used, f"{chapter}: thresholds no claim declares: {sorted(claimed - used)}"


def test_every_chapter_checks_each_claim_it_declares_and_asserts_none_outside_the_registry():
    for ch in CHAPTERS:
        source = (NOTEBOOKS / f"{ch.name}.py").read_text()
        checked = set(re.findall(r'run\.claim\(\s*"([a-z0-9_]+)"', source))
        declared = {c.name for c in CLAIMS[ch.name]}
        assert checked == declared, (ch.name, sorted(declared - checked), sorted(checked - declared))
        assert not re.search(r'"(claim|check):', source), f"{ch.name} asserts a claim outside the registry"


def test_memcap_claims_json_has_exactly_the_documented_keys(capsys):
    assert main(["claims", "2", "3", "--scale", "smoke", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(tuple(r) == claims.JSON_KEYS for r in rows)
    assert {r["chapter"] for r in rows} == {"02_capacity", "03_knowledge"}
    assert all(r["kind"] in claims.KINDS for r in rows)
    assert main(["claims", "--scale", "huge"]) == 1
    assert "unknown scale 'huge'" in capsys.readouterr().err
    assert main(["claims", "2", "02", "capacity", "--scale", "smoke", "--json"]) == 0  # one chapter, named three ways
    again = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in again] == [r["name"] for r in rows if r["chapter"] == "02_capacity"]
    assert main(["claims", "1", "--scale", "smoke"]) == 0
    assert capsys.readouterr().out.startswith("no claims: chapter(s) 1 declare none")


def test_a_revised_claim_reads_observed_where_fresh_seeds_have_not_confirmed_it(capsys):
    revised = Claim("turned", "a claim turned after a run", fixed="2026-12-01", revised=("default",),
                    replicated_seeds={"default": (7,)})
    assert [revised.kind_at(s) for s in ("smoke", "default")] == ["headline", "observed"]
    again = replace(revised, replicated_seeds={"default": (7, 8)})
    assert again.kind_at("default") == "headline"
    assert replace(revised, kind="sanity").kind_at("default") == "sanity"  # a check of the run stays one
    assert main(["claims", "--scale", "smoke", "--json"]) == 0
    waiting = [r for r in json.loads(capsys.readouterr().out)
               if r["revised"] and len(r["replicated_seeds"]) < REPLICATIONS_NEEDED]
    assert waiting  # the registry has such claims at smoke (chapter 2's plateau among them)
    assert all(r["kind"] != "headline" and not r["asserted"] for r in waiting), waiting


def test_the_paper_preset_keeps_the_papers_direction_for_chapter_7():
    paper = PRESETS["07_architecture"]["paper"]
    gated = {c.name: c for c in CLAIMS["07_architecture"]}
    assert gated["gated_not_above_low"].asserted(paper, "paper")  # gated <= GPT-2 at the lower count, as Result 5
    assert not gated["gated_at_least_low"].asserted(paper, "paper")
    # revised at default only: at paper the paper's threshold is in force, and asserted
    assert gated["families_close_high"].asserted(paper, "paper") and paper.min_arch_ratio_high == 0.7
    assert not gated["families_close_high"].revised_at("paper") and gated["families_close_high"].revised_at("default")
    # the mixture's cost per total parameter (Result 9): the paper's direction, asserted at paper; declared after
    # default and smoke runs had shown it, so asserted there only with its replications
    moe = gated["moe_less_per_param"]
    assert moe.asserted(paper, "paper") and not moe.revised_at("paper")
    for scale in ("smoke", "default"):
        assert moe.revised_at(scale) and len(moe.seeds_at(scale)) == 2
        assert moe.asserted(PRESETS["07_architecture"][scale], scale)


def test_the_appendix_says_per_scale_where_a_claim_was_revised_and_replicated(tmp_path):
    from memcap.book.build import claims_markdown

    rows = {line.split("`")[1]: line for line in claims_markdown(tmp_path, "smoke").splitlines()
            if line.startswith("| `")}
    assert rows["families_close_high"].endswith("; revised at default, replicated on default seeds [1, 2] |")
    assert ("revised at smoke, replicated on smoke seeds [3, 4]; revised at default, not replicated yet"
            in rows["fp32_not_below_bf16"])
    assert rows["reaches_rmax"].endswith("; revised at smoke, replicated on smoke seeds [1, 2] |")
    assert "revised" not in rows["stores_own_people"]
