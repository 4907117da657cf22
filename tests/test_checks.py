"""The exercises' checks: messages that name what failed, and `without`, which catches a forbidden call
however it was reached."""

import math

import numpy as np
import pytest

from memcap.book import checks
from memcap.model import GPTConfig
from memcap.theory import information
from memcap.theory.information import mutual_information as renamed


def test_close_names_the_value_the_expectation_and_why():
    checks.close("x", 1.0 + 1e-12, 1.0)
    checks.close("v", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-7], rel=1e-6)
    with pytest.raises(checks.CheckFailed, match=r"^x = 1.5, expected 2.0 \(relative tolerance 1e-09\): because$"):
        checks.close("x", 1.5, 2.0, why="because")
    with pytest.raises(checks.CheckFailed, match=r"^v = 1 of 3 entries off \(first at \[2\]: 9.0\), expected 3.0"):
        checks.close("v", [1, 2, 9], [1, 2, 3])
    with pytest.raises(checks.CheckFailed) as err:
        checks.close("secret", 1.0, 42.0, show_expected=False)
    assert "42" not in str(err.value)
    with pytest.raises(checks.CheckFailed, match=r"v has shape \(2,\), expected shape \(3,\)"):
        checks.close("v", [1, 2], [1, 2, 3])
    with pytest.raises(checks.CheckFailed, match="must be a number"):
        checks.close("s", "one", 1.0)
    assert issubclass(checks.CheckFailed, AssertionError)  # nbgrader scores a failed check as a failed cell


def test_equal_that_and_is_instance():
    checks.equal("n", 3, 3)
    with pytest.raises(checks.CheckFailed, match=r"^n = 4, expected 3: why$"):
        checks.equal("n", 4, 3, why="why")
    with pytest.raises(checks.CheckFailed, match="^custom$"):
        checks.that(False, "custom")
    with pytest.raises(checks.CheckFailed, match="f must be a float or int, got str 'a'"):
        checks.is_instance("f", "a", (float, int))


def test_without_catches_forbidden_calls_at_any_depth_however_imported():
    joint = np.array([[0.4, 0.1], [0.1, 0.4]])
    forbidden = checks.functions_of(information)
    assert information.mutual_information in forbidden and information._entropy in forbidden
    assert np.log2 not in forbidden  # only functions defined in the module itself

    def by_hand(p):
        px, py = p.sum(1), p.sum(0)
        return float((p * np.log2(p / np.outer(px, py))).sum())

    assert math.isclose(checks.without(forbidden, by_hand, joint), information.mutual_information(joint))
    for cheat in (lambda p: information.mutual_information(p), lambda p: renamed(p),
                  lambda p: (lambda q: information.entropy(q.sum(0)))(p)):  # directly, renamed, nested
        with pytest.raises(checks.CheckFailed, match="your function called memcap.theory.information"):
            checks.without(forbidden, cheat, joint)
    # properties and methods
    with pytest.raises(checks.CheckFailed, match="GPTConfig.n_params"):
        checks.without([GPTConfig.n_params], lambda: GPTConfig(vocab_size=8, seq_len=4, n_layer=1,
                                                               d_model=4).n_params)
    # the profiler is gone afterwards, also after a failure
    import sys

    assert sys.getprofile() is None
    with pytest.raises(checks.CheckFailed, match="the answer must be a function"):
        checks.without(forbidden, 3.0)
    with pytest.raises(TypeError, match="can forbid functions"):
        checks.without([42], by_hand, joint)


def _in_a_thread(p):
    import threading

    out = []
    worker = threading.Thread(target=lambda: out.append(information.mutual_information(p)))
    worker.start()
    worker.join()
    return out[0]


def _in_a_pool(p):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        return pool.submit(renamed, p).result()  # a reference taken before the check, in a new thread


_EARLY_POOL = None


def _in_a_pool_started_before(p):
    return _EARLY_POOL.submit(information.mutual_information, p).result()


def _in_a_forked_process(p):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(information.mutual_information, p).result()


def _in_a_spawned_process(p):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(information.mutual_information, p).result()


@pytest.mark.parametrize("cheat", [_in_a_thread, _in_a_pool, _in_a_pool_started_before, _in_a_forked_process,
                                   _in_a_spawned_process], ids=lambda f: f.__name__.strip("_"))
def test_without_catches_forbidden_calls_in_threads_and_processes(cheat):
    global _EARLY_POOL
    from concurrent.futures import ThreadPoolExecutor

    joint = np.array([[0.4, 0.1], [0.1, 0.4]])
    forbidden = checks.functions_of(information)
    with ThreadPoolExecutor(1) as early:
        early.submit(lambda: None).result()  # the worker thread exists before the check starts
        _EARLY_POOL = early
        with pytest.raises(checks.CheckFailed, match="your function called (memcap.theory.information|a spawn)"):
            checks.without(forbidden, cheat, joint)
    # everything is put back: the module's function, the profiles, process starts
    import subprocess
    import sys
    import threading

    assert information.mutual_information is renamed and sys.getprofile() is None
    assert threading._profile_hook is None
    assert subprocess.run([sys.executable, "-c", "pass"]).returncode == 0
    # the same work without the forbidden function passes, in a thread too
    assert checks.without(forbidden, lambda p: ThreadPoolExecutor(1).submit(float, p.sum()).result(), joint) == 1.0
