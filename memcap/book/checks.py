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

import math
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "close", "equal", "is_instance", "that", "without", "functions_of"]


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


def equal(name: str, got: Any, expected: Any, *, why: str = "", show_expected: bool = True) -> None:
    """``got == expected`` exactly (integers, strings, tuples)."""
    if not got == expected:
        expect = f", expected {expected!r}" if show_expected else ""
        raise CheckFailed(f"{name} = {got!r}{expect}" + (f": {why}" if why else ""))


def _short(x: Any) -> str:
    return repr(float(x)) if isinstance(x, (float, np.floating)) and math.isfinite(float(x)) else repr(x)


def functions_of(*modules: types.ModuleType) -> list[Callable]:
    """Every Python function defined in ``modules`` (not the ones they import): the list :func:`without` forbids
    when an exercise asks for code that does not use a whole module."""
    found = []
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
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
    methods, properties, built-ins) at any depth, however they were imported. Returns what ``fn`` returned.

        >>> without([math.fsum], lambda xs: math.fsum(xs), [1.0, 2.0])
        Traceback (most recent call last):
        ...
        memcap.book.checks.CheckFailed: this exercise asks you to write the computation yourself, but your function called math.fsum

    It watches calls with :func:`sys.setprofile` for the duration of the call only.
    """
    if not callable(fn):
        raise CheckFailed(f"the answer must be a function, got {type(fn).__name__} {fn!r}")
    codes, builtins = {}, {}
    for f in forbidden:
        code = _code(f)
        if code is None:
            builtins[id(f)] = _label(f)
        else:
            codes[code] = _label(f)
    called: list[str] = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            name = codes[frame.f_code]
        elif event == "c_call" and id(arg) in builtins:
            name = builtins[id(arg)]
        else:
            return
        if name not in called:
            called.append(name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    if called:
        raise CheckFailed(f"this exercise asks you to write the computation yourself, but your function called "
                          f"{', '.join(called)}")
    return result
