"""Checks for the chapters' exercises: each failure says what was checked, what was found and why it matters.

A graded cell is a list of these calls. A student who runs it sees the same message the autograder reports
(``memcap grade`` prints it for every exercise that lost points), so a failed check explains itself::

    >>> close("bits", 3.0, 4.0, why="N·S·log2 V")
    Traceback (most recent call last):
    ...
    memcap.book.checks.CheckFailed: bits = 3.0, expected 4.0 (relative tolerance 1e-09): N·S·log2 V

Exercises that ask for an implementation "by hand" are checked with :func:`without`, which runs the student's
function and fails if it calls, at any depth, one of the package functions that computes the same thing::

    >>> import math
    >>> without([math.fsum], lambda xs: sum(xs), [1.0, 2.0])
    3.0
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "close", "rounded", "equal", "is_instance", "that", "without", "functions_of"]


class CheckFailed(AssertionError):
    """A check of an exercise failed; the message says which value, what was expected and why."""


def that(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition``."""
    if not bool(condition):
        raise CheckFailed(message)


def is_instance(name: str, value: Any, types_: type | tuple[type, ...], why: str = "") -> None:
    """``value`` (called ``name`` in the statement) must be an instance of ``types_``."""
    if not isinstance(value, types_):
        wanted = " or ".join(t.__name__ for t in (types_ if isinstance(types_, tuple) else (types_,)))
        raise CheckFailed(f"{name} must be a {wanted}, got {type(value).__name__} {value!r}"
                          + (f": {why}" if why else ""))


def close(name: str, got: Any, expected: Any, *, rel: float = 1e-9, abs: float = 0.0, why: str = "",
          show_expected: bool = True) -> None:
    """``got`` must equal ``expected`` within ``rel`` (relative) or ``abs`` (absolute) tolerance, elementwise for
    arrays; ``show_expected=False`` keeps the expected value out of the message (for hidden checks)."""
    try:
        g = np.asarray(got, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} must be a number (or an array of numbers), got {got!r}") from None
    if g.shape != e.shape:
        raise CheckFailed(f"{name} has shape {g.shape}, expected shape {e.shape}" + (f": {why}" if why else ""))
    ok = np.isclose(g, e, rtol=rel, atol=abs, equal_nan=True)
    if not ok.all():
        tol = f"relative tolerance {rel:g}" + (f", absolute {abs:g}" if abs else "")
        if g.ndim == 0:
            shown, wanted = _short(got), _short(expected)
        else:
            where = np.argwhere(~ok)[0].tolist()
            shown = f"{int((~ok).sum())} of {ok.size} entries off (first at {where}: {float(g[~ok][0])!r})"
            wanted = repr(float(np.broadcast_to(e, g.shape)[~ok][0]))
        expect = f", expected {wanted}" if show_expected else ""
        raise CheckFailed(f"{name} = {shown}{expect} ({tol})" + (f": {why}" if why else ""))


def rounded(name: str, got: Any, expected: Any, *, decimals: int | None = None, sig: int | None = None,
            why: str = "", show_expected: bool = True) -> None:
    """``got`` must be ``expected`` given to the precision a statement asks for: ``decimals`` decimal places
    (0: the nearest integer) or ``sig`` significant figures. Any answer within half a unit of the last place asked
    for passes (a person's rounding, or the unrounded value); one a little further off fails.

        >>> rounded("n", 357, 357.38, decimals=0)
        >>> rounded("share", 0.52, 0.5218, sig=2)
        >>> rounded("share", 52.18, 0.5218, sig=2)
        Traceback (most recent call last):
        ...
        memcap.book.checks.CheckFailed: share = 52.18, expected 0.5218 to 2 significant figures (within ±0.005)
    """
    if (decimals is None) == (sig is None):
        raise TypeError("rounded() needs exactly one of decimals= and sig=")
    try:
        g, e = float(got), float(expected)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} must be a number, got {got!r}") from None
    if math.isnan(e) or math.isnan(g):
        if not (math.isnan(e) and math.isnan(g)):
            expect = f", expected {_short(expected)}" if show_expected else ""
            raise CheckFailed(f"{name} = {_short(got)}{expect}" + (f": {why}" if why else ""))
        return
    if sig is not None:
        place = math.floor(math.log10(abs(e))) - sig + 1 if e != 0 else -sig
        precision = f"to {sig} significant figure{'s' if sig != 1 else ''}"
    else:
        place = -decimals
        precision = "to the nearest integer" if decimals == 0 else f"to {decimals} decimal place" + \
            ("s" if decimals != 1 else "")
    half = 0.5 * 10.0**place
    if not abs(g - e) <= half * (1 + 1e-9):  # the margin absorbs binary rounding of e.g. 0.125 -> 0.12
        expect = f", expected {_short(expected)}" if show_expected else ""
        raise CheckFailed(f"{name} = {_short(got)}{expect} {precision} (within ±{half:g})"
                          + (f": {why}" if why else ""))


def equal(name: str, got: Any, expected: Any, *, why: str = "", show_expected: bool = True) -> None:
    """``got == expected`` exactly (integers, strings, tuples)."""
    if not got == expected:
        expect = f", expected {expected!r}" if show_expected else ""
        raise CheckFailed(f"{name} = {got!r}{expect}" + (f": {why}" if why else ""))


def _short(x: Any) -> str:
    return repr(float(x)) if isinstance(x, (float, np.floating)) and math.isfinite(float(x)) else repr(x)


def functions_of(*modules: types.ModuleType) -> list[Callable]:
    """Every Python function defined in ``modules`` (not the ones they import from elsewhere; for a package, the
    functions of its submodules that it offers too): the list :func:`without` forbids when an exercise asks for code
    that does not use a whole module.

        >>> import memcap.data.text
        >>> memcap.data.text.deduplicate in functions_of(memcap.data.text)  # defined in memcap.data.text.chunks
        True
        >>> math.fsum in functions_of(math)  # a built-in, not a Python function
        False
    """
    found = []
    for module in modules:
        inside = module.__name__ + "."
        for value in vars(module).values():
            if isinstance(value, types.FunctionType) and (
                    value.__module__ == module.__name__
                    or (hasattr(module, "__path__") and value.__module__.startswith(inside))):
                found.append(value)
    return found


def _code(f: Any) -> types.CodeType | None:
    """The code object of a Python function, method or property; None for a built-in (C) function."""
    if isinstance(f, property):
        f = f.fget
    f = getattr(f, "__func__", f)
    code = getattr(f, "__code__", None)
    if code is None and not isinstance(f, types.BuiltinFunctionType):
        raise TypeError(f"without() can forbid functions, methods and properties, got {f!r}")
    return code


def _label(f: Any) -> str:
    f = f.fget if isinstance(f, property) else getattr(f, "__func__", f)
    return f"{getattr(f, '__module__', None) or 'builtins'}.{f.__qualname__}"


def without(forbidden: Iterable[Any], fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, failing with :class:`CheckFailed` if it called any of ``forbidden`` (functions,
    methods, properties, built-ins) at any depth, however they were imported, in this thread, in threads it
    started (``threading.Thread``, ``ThreadPoolExecutor``) or in processes it forked (``multiprocessing``,
    ``ProcessPoolExecutor``). Returns what ``fn`` returned.

        >>> without([math.fsum], lambda xs: math.fsum(xs), [1.0, 2.0])
        Traceback (most recent call last):
        ...
        memcap.book.checks.CheckFailed: this exercise asks you to write the computation yourself, but your function called math.fsum

    For the duration of the call only, it watches calls with :func:`sys.setprofile` in this thread and with
    :func:`threading.setprofile` in the threads started meanwhile (a forked process keeps both), replaces every
    module's reference to a forbidden function by a tripwire that reports its calls (so a thread started before
    the check, a pool's worker, is caught too), and counts starting a process it cannot watch (``spawn``,
    ``forkserver``, ``subprocess``) as a failure. Calls made in a forked process are reported back through a
    temporary file.
    """
    if not callable(fn):
        raise CheckFailed(f"the answer must be a function, got {type(fn).__name__} {fn!r}")
    codes, builtins, labels = {}, {}, {}
    for f in forbidden:
        code = _code(f)
        if code is None:
            builtins[id(f)] = _label(f)
        else:
            codes[code] = _label(f)
        labels[id(f)] = _label(f)
        labels[id(getattr(f, "__func__", f))] = _label(f)
    with _Watch() as watch:
        def profile(frame, event, arg):
            if event == "call" and frame.f_code in codes:
                watch.record(codes[frame.f_code])
            elif event == "c_call" and id(arg) in builtins:
                watch.record(builtins[id(arg)])

        with _tripwires(forbidden, labels, watch), _no_unwatched_processes(watch):
            previous, previous_threads = sys.getprofile(), threading._profile_hook
            threading.setprofile(profile)
            sys.setprofile(profile)
            try:
                result = fn(*args, **kwargs)
            finally:
                sys.setprofile(previous)
                threading.setprofile(previous_threads)
        called = watch.called()
    if called:
        raise CheckFailed(f"this exercise asks you to write the computation yourself, but your function called "
                          f"{', '.join(called)}")
    return result


class _Watch:
    """The forbidden calls seen: in this process in a list, from forked processes through a temporary file."""

    def __enter__(self) -> "_Watch":
        self._pid, self._seen, self._file = os.getpid(), [], tempfile.TemporaryFile()
        return self

    def record(self, name: str) -> None:
        if os.getpid() == self._pid:
            if name not in self._seen:
                self._seen.append(name)
        else:  # a forked child: the file's descriptor is shared, and one short write is atomic
            os.write(self._file.fileno(), (name + "\n").encode())

    def called(self) -> list[str]:
        self._file.seek(0)
        names = list(self._seen)
        for name in self._file.read().decode(errors="replace").splitlines():
            if name and name not in names:
                names.append(name)
        return names

    def __exit__(self, *exc) -> None:
        self._file.close()


@contextlib.contextmanager
def _tripwires(forbidden: Iterable[Any], labels: dict[int, str], watch: _Watch):
    """Replace, in every loaded module, each name bound to a forbidden function (not a method or property) by a
    wrapper that records the call, then calls it; restore them afterwards."""
    plain = {id(f): f for f in forbidden if not isinstance(f, property) and not hasattr(f, "__func__")}
    wrappers: dict[int, Callable] = {}
    replaced = []
    for module in list(sys.modules.values()):
        space = getattr(module, "__dict__", None)
        if not isinstance(space, dict):
            continue
        for name, value in list(space.items()):
            if id(value) in plain and value is plain[id(value)]:
                if id(value) not in wrappers:
                    wrappers[id(value)] = _tripwire(value, labels[id(value)], watch)
                space[name] = wrappers[id(value)]
                replaced.append((space, name, value))
    try:
        yield
    finally:
        for space, name, value in replaced:
            space[name] = value


def _tripwire(f: Callable, label: str, watch: _Watch) -> Callable:
    @functools.wraps(f)
    def tripwire(*args: Any, **kwargs: Any) -> Any:
        watch.record(label)
        return f(*args, **kwargs)

    return tripwire


@contextlib.contextmanager
def _no_unwatched_processes(watch: _Watch):
    """Starting a process that neither the profile nor the tripwires reach (a fresh interpreter: ``spawn``,
    ``forkserver``, ``subprocess``) counts as a forbidden call: the check cannot see what it computes."""
    import multiprocessing.process
    import subprocess

    start, popen_init = multiprocessing.process.BaseProcess.start, subprocess.Popen.__init__

    def checked_start(self, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self, "_start_method", None) or multiprocessing.get_start_method()
        if method != "fork":
            watch.record(f"a {method} process (which this check cannot watch: use fork or threads, or none)")
        return start(self, *args, **kwargs)

    def checked_popen(self, *args: Any, **kwargs: Any) -> Any:
        watch.record("a subprocess (which this check cannot watch)")
        return popen_init(self, *args, **kwargs)

    multiprocessing.process.BaseProcess.start = checked_start
    subprocess.Popen.__init__ = checked_popen
    try:
        yield
    finally:
        multiprocessing.process.BaseProcess.start = start
        subprocess.Popen.__init__ = popen_init
