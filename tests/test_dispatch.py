"""Choosing a backend: backend=, use_backend, PYSOFTMAX_BACKEND, plugins."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pysoftmax
from pysoftmax import _dispatch
from pysoftmax._backends import array_api, c


@pytest.fixture
def chosen(monkeypatch, general_path):
    """Record which built-in backend each call reaches (the front door's fast path off)."""
    calls = []
    for module in (c, array_api):
        original = module.softmax
        monkeypatch.setattr(
            module,
            "softmax",
            lambda request, module=module, original=original: (
                calls.append(module.NAME) or original(request)
            ),
        )
    return calls


def test_automatic_choice(chosen):
    pysoftmax.softmax(np.ones(3))
    assert chosen == ["c"]


def test_use_backend_sets_and_restores_the_default(chosen):
    with pysoftmax.use_backend("array_api"):
        pysoftmax.softmax(np.ones(3))
        with pysoftmax.use_backend(None):
            pysoftmax.softmax(np.ones(3))
        pysoftmax.softmax(np.ones(3), backend="c")  # backend= wins over the default
    pysoftmax.softmax(np.ones(3))
    assert chosen == ["array_api", "c", "c", "c"]


def test_use_backend_rejects_unknown_names():
    with pytest.raises(ValueError, match="'c'"), pysoftmax.use_backend("fortran"):
        pass


def test_the_environment_variable_sets_the_default(chosen, monkeypatch):
    monkeypatch.setenv("PYSOFTMAX_BACKEND", "array_api")
    pysoftmax.softmax(np.ones(3))
    with pysoftmax.use_backend("c"):  # the context manager wins over the environment
        pysoftmax.softmax(np.ones(3))
    assert chosen == ["array_api", "c"]


def test_an_unknown_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("PYSOFTMAX_BACKEND", "nonsense")
    with pytest.raises(ValueError, match="PYSOFTMAX_BACKEND"):
        pysoftmax.softmax(np.ones(3))


def test_a_default_that_cannot_take_the_array_is_a_type_error():
    array_api_strict = pytest.importorskip("array_api_strict")
    with (
        pysoftmax.use_backend("c"),
        pytest.raises(TypeError, match=r"backend 'c' \(from use_backend\(\)\) cannot take"),
    ):
        pysoftmax.softmax(array_api_strict.asarray([1.0, 2.0]))


def test_a_plugin_registers_through_entry_points(tmp_path, monkeypatch):
    target = tmp_path / "site"
    # Built from a copy: an in-tree build would leave an .egg-info beside the source,
    # which would register the plugin for every later test.
    plugin = shutil.copytree(Path(__file__).parent / "plugin", tmp_path / "plugin")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(plugin),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    monkeypatch.syspath_prepend(str(target))
    _dispatch._registry.cache_clear()
    try:
        names = [b.name for b in pysoftmax.backends()]
        assert "recorder" in names and names[-1] == "array_api"
        import pysoftmax_test_plugin

        x = np.array([1.0, 2.0, 3.0])
        np.testing.assert_array_equal(
            pysoftmax.softmax(x, backend="recorder"), pysoftmax.softmax(x, backend="c")
        )
        assert pysoftmax_test_plugin.CALLS == ["softmax"]
        pysoftmax.softmax(x)  # the built-in C backend still comes first
        assert pysoftmax_test_plugin.CALLS == ["softmax"]
    finally:
        _dispatch._registry.cache_clear()


def _has_pip() -> bool:
    return (
        subprocess.run(
            [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
        ).returncode
        == 0
    )


def test_a_broken_plugin_is_reported_not_fatal(monkeypatch):
    monkeypatch.setattr(
        _dispatch, "_BUILTIN_BACKENDS", {**_dispatch._BUILTIN_BACKENDS, "broken": "json"}
    )
    _dispatch._registry.cache_clear()
    try:
        report = {b.name: b for b in pysoftmax.backends()}
        assert not report["broken"].available
        assert "not a pysoftmax backend" in report["broken"].reason
        np.testing.assert_array_equal(pysoftmax.softmax([0.0, 0.0]), [0.5, 0.5])
    finally:
        _dispatch._registry.cache_clear()


def test_a_backend_from_the_environment_is_named_as_such(monkeypatch):
    monkeypatch.setenv("PYSOFTMAX_BACKEND", "torch")
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="from the environment variable PYSOFTMAX_BACKEND"):
        pysoftmax.softmax(np.ones(3))


def test_a_masked_array_is_refused_with_a_way_that_works():
    x = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[False, True], [True, True]])
    with pytest.raises(TypeError, match="masked array") as raised:
        pysoftmax.softmax(x)
    assert "where=~np.ma.getmaskarray(x)" in str(raised.value)
    # what the message says to do gives the masked softmax, 0 for the row with nothing left
    result = pysoftmax.softmax(x.data, where=~np.ma.getmaskarray(x))
    np.testing.assert_array_equal(result, [[1.0, 0.0], [0.0, 0.0]])
