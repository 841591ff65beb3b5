"""ModelDoc's test suite, a package so that its helpers have one importable home.

Test modules import shared helpers as ``tests.testutil`` (and ``tests.<folder>.<helpers>``): with pytest's
default import mode the repository root goes on ``sys.path`` (the first folder up without an
``__init__.py``), so ``pytest``, ``pytest tests/test_x.py`` and ``pytest tests/keras_adapter/test_y.py`` all
see the same names, and no two ``conftest.py`` or helper modules collide by file name.
"""
