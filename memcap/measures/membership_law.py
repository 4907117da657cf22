"""The membership law F1 = ½(1 + c1·σ(c2·(x + c3))) once fitted (:func:`~memcap.measures.membership.fit_law`):
what it predicts for runs held out of the fit, and its constants beside another fit's and the paper's.

    >>> import pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> law = NS(params=(1.0, -2.0, 0.0), ci=((0.9, 1.1), (-3.0, -1.0), (-0.5, 0.5)))
    >>> law.predict = lambda x: 0.5 * (1 + law.params[0] / (1 + 2.718281828 ** (2.0 * x)))
    >>> held_out_predictions(law, pd.DataFrame(dict(x=[0.0], f1=[0.7]))).error.round(3).tolist()
    [0.05]
    >>> constants_table(law, printed={"c1": 1.34, "c2": -0.034, "c3": -33.14}).loc["c3"].tolist()
    [0.0, -0.5, 0.5, nan, nan, nan, -33.14]
"""

from __future__ import annotations

import math

import pandas as pd

CONSTANTS = ("c1", "c2", "c3")


def held_out_predictions(law, held: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``held`` (runs with columns x and f1) with the law's ``predicted`` F1 and its ``error``
    (predicted − measured)."""
    out = held.copy()
    out["predicted"] = law.predict(out.x)
    out["error"] = out.predicted - out.f1
    return out


def constants_table(law, other: dict | None = None, printed: dict | None = None, name: str = "text",
                    other_name: str = "other") -> pd.DataFrame:
    """One row per constant: the law's value and interval (columns ``name``, ``name_low``, ``name_high``), beside
    ``other``'s (saved results holding ``law`` and ``law_ci``, columns ``other_name*``; NaN when None) and the
    ``printed`` values (NaN where missing)."""
    theirs, theirs_ci = (other["law"], other["law_ci"]) if other else ({}, {})
    no_ci = (math.nan, math.nan)
    return pd.DataFrame([
        {"constant": c, name: v, f"{name}_low": lo, f"{name}_high": hi, other_name: theirs.get(c, math.nan),
         f"{other_name}_low": float(theirs_ci.get(c, no_ci)[0]),  # saved results hold ±inf as text
         f"{other_name}_high": float(theirs_ci.get(c, no_ci)[1]),
         "printed": (printed or {}).get(c, math.nan)}
        for c, v, (lo, hi) in zip(CONSTANTS, law.params, law.ci)
    ]).set_index("constant")
