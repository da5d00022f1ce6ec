"""Build hook: compiles the C core into ``pysoftmax._core`` with cffi."""

from setuptools import setup

setup(cffi_modules=["pysoftmax/_ffi_build.py:ffibuilder"])
