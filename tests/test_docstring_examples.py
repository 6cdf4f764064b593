"""Every example in anadiv's docstrings runs and prints what it says.

The docstrings are the first documentation a user reads (``help(anadiv.kl)``, an editor's
tooltip, the API pages), so a stale example is a bug. Modules are found by walking the
package, so a new module is covered without an edit here; the generated closed forms are
checked by ``tests/test_codegen.py``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import anadiv

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(anadiv.__path__, "anadiv.")
    if not info.name.startswith("anadiv._generated")
)


def test_the_walk_finds_the_package():
    assert {"anadiv.api", "anadiv.numeric.stable", "anadiv.symbolic.engine"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    with warnings.catch_warnings():
        # an example may show an overflow's value (digamma_diff_d at 1e300): the printed value is what is checked
        warnings.simplefilter("ignore", RuntimeWarning)
        result = doctest.testmod(module, optionflags=flags, verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (run doctest on it)"
