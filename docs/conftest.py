"""The pages' examples run as doctests; each may set numpy's print options for itself.

They are restored after each page, so that one page's precision does not reach the next
page or the docstrings' examples run in the same session.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_print_options_per_page() -> Iterator[None]:
    saved = np.get_printoptions()
    yield
    np.set_printoptions(**saved)
