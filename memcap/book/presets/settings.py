"""The settings framework of the presets: a field with its reason (:func:`setting`), the base every preset shares
(:class:`PresetBase`) and a preset shown as a table of setting, value and reason (:func:`settings_table`).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Toy(PresetBase):
    ...     steps: int = setting("training steps")
    >>> settings_table(Toy(steps=3)).loc["steps"].tolist()
    ['3', 'training steps']
    >>> Toy(steps=3).to_dict()
    {'steps': 3}
"""

from __future__ import annotations

from dataclasses import field, fields, is_dataclass
from typing import Any


def setting(why: str, *, expand: bool = True, **kw) -> Any:
    """A preset field with its one-line reason. A shared preset with ``expand=False`` shows as one row in the
    settings table (its settings are shown by the chapter that trains its runs)."""
    return field(metadata={"why": why, "expand": expand}, **kw)



class PresetBase:
    """Shared behaviour: a clear error for a missing setting, and a plain dict for results.json."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        known = [f.name for f in fields(self)]  # type: ignore[arg-type]
        raise AttributeError(f"preset has no setting {name!r}; it has {known}")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    def unevaluable_claims(self, alpha: float) -> dict[str, str]:
        """Claims this preset's runs cannot evaluate, with why, judged before anything trains with ``alpha`` bits per
        parameter for capacity (``memcap plan`` prints them). None by default."""
        return {}

    def later_runs(self, seed: int = 0, store=None) -> dict[str, list]:
        """Runs whose configuration follows from runs trained before them (so ``runs`` cannot list them), by
        group: exact when ``store`` holds what they follow from, else sized from step caps (upper bounds, under
        other keys). None by default; chapter 2's saturation twins are some."""
        return {}


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return value.to_dict()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def settings_table(preset):
    """A preset as rows of (setting, value, why); a shared preset's fields appear under its name
    (``sweep.vocab_size``)."""
    import pandas as pd

    rows = []

    def add(obj, prefix: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            if is_dataclass(value):
                if f.metadata.get("expand", True):
                    add(value, f"{prefix}{f.name}.")
                else:
                    rows.append(dict(setting=prefix + f.name, value=f"{type(value).__name__} (shared)",
                                     why=f.metadata.get("why", "")))
                continue
            shown = value
            if isinstance(value, tuple) and value and hasattr(value[0], "_fields"):
                shown = "; ".join(", ".join(f"{k} {v}" for k, v in item._asdict().items()) for item in value)
            elif isinstance(value, tuple) and hasattr(value, "_fields"):
                shown = ", ".join(f"{k} {v}" for k, v in value._asdict().items())
            elif isinstance(value, tuple):
                shown = ", ".join(str(v) for v in value)
            rows.append(dict(setting=prefix + f.name, value=str(shown), why=f.metadata.get("why", "")))

    add(preset, "")
    return pd.DataFrame(rows).set_index("setting")


class SettingsTable:
    """A preset's :func:`settings_table` for display: every value and reason in full (no truncated cells), in a
    notebook as an HTML table and in a terminal as text; the frame itself is ``.frame``."""

    def __init__(self, preset):
        self.frame = settings_table(preset)

    def _repr_html_(self) -> str:
        """The table folded under a one-line summary: a page opens with the chapter, not with its settings."""
        import pandas as pd

        with pd.option_context("display.max_colwidth", None):
            table = self.frame.to_html()
        return (f"<details><summary>The settings at this scale: {len(self.frame)} values, each with its reason "
                f"(click to open)</summary>\n{table}\n</details>")

    def __repr__(self) -> str:
        import pandas as pd

        with pd.option_context("display.max_colwidth", None, "display.width", 200):
            return self.frame.to_string()

