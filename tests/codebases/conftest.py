"""Fixtures of the ``codebases`` tier (see codebases_harness.py): every test here is marked
``codebases`` and shares one cached install of the codebases."""
import os.path as osp
from typing import Dict

import pytest
from codebases_harness import codebase_env, install_codebases


def pytest_collection_modifyitems(items: list) -> None:
    here = osp.dirname(osp.abspath(__file__))
    for item in items:
        if osp.abspath(str(item.fspath)).startswith(here + osp.sep):
            item.add_marker(pytest.mark.codebases)


@pytest.fixture(scope='session')
def codebases_target() -> str:
    """The cached --target directory holding the codebases and their pure dependencies."""
    return install_codebases()


@pytest.fixture(scope='session')
def shim_env(codebases_target: str) -> Dict[str, str]:
    """Environment for subprocesses that run a codebase on the mmcv shim."""
    return codebase_env(codebases_target)
