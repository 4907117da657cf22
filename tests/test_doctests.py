"""Every docstring example in the package runs and gives what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import memcap

# every module, subpackages' included (iter_modules would list only the top level: memcap.engine, not
# memcap.engine.training.config)
MODULES = sorted(m.name for m in pkgutil.walk_packages(memcap.__path__, "memcap."))


def test_every_module_is_collected():
    assert {"memcap.engine.training.config", "memcap.engine.studies.saturation", "memcap.measures.capacity"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
