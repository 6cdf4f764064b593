"""Basic checks of the family base class (per-family tests are generated elsewhere)."""

import subprocess
import sys

import numpy as np
import pytest

from anadiv import FAMILIES, Normal


def test_validation_names_the_parameter():
    with pytest.raises(ValueError, match="sigma"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="mu"):
        Normal(np.nan, 1.0)


def test_validation_can_be_switched_off():
    Normal(0.0, -1.0, validate=False)


def test_batch_shape_and_sampling():
    n = Normal(np.zeros((2, 1)), np.ones(3))
    assert n.batch_shape == (2, 3)
    assert n.sample(5, rng=0).shape == (5, 2, 3)


def test_import_does_not_load_sympy():
    code = "import sys, anadiv; anadiv.Normal(0, 1).logpdf(0.0); assert 'sympy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registry_has_families():
    assert FAMILIES["normal"] is Normal
