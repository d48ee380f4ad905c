"""Suite-wide pytest hooks: test tiers, ordered and gated, with per-tier times.

``python -m pytest tests`` runs the tiers in order: ``fast`` (every unmarked test), then ``slow``
(crash/subprocess-heavy files), ``dist`` (multi-process runs), ``codebases`` (real OpenMMLab
codebases). A failure in the fast tier skips the later tiers (each skipped test names the first
failure); ``--all-tiers`` runs them anyway. The end of the run prints each tier's time, the crash
tests' seed, and every run repeated after a native teardown abort (tests/dist_helpers.py).
"""
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

import pytest

# One intra-op thread for the in-process tests too, as for every child process the tests start:
# the models are tiny, and on a small shared box a second OpenMP thread makes each step several
# times slower (measured: 5.7 s against 29.6 s for one adapter equivalence test on 2 busy cores).
# Set before any test module imports torch; an explicit OMP_NUM_THREADS is kept.
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')  # figures are written to files, never shown
if 'torch' in sys.modules:  # pragma: no cover - a plugin imported torch before this file
    sys.modules['torch'].set_num_threads(int(os.environ['OMP_NUM_THREADS']))

TIERS = ('fast', 'slow', 'dist', 'codebases')  # run order; a test takes its last marked tier
_HERE = osp.dirname(osp.abspath(__file__))
_CODEBASES_DIR = osp.join(_HERE, 'codebases') + osp.sep


class _TierState:
    """What the hooks share over one session."""

    def __init__(self) -> None:
        self.first_fast_failure: Optional[str] = None
        self.fast_failures = 0
        self.counts: Dict[str, Dict[str, int]] = {t: {} for t in TIERS}
        self.started: Dict[str, float] = {}
        self.finished: Dict[str, float] = {}


_STATE = _TierState()
_TIER_KEY = pytest.StashKey[str]()


def tier_of(item: pytest.Item) -> str:
    """The tier of a collected test: the latest tier among its markers, ``fast`` when unmarked."""
    if osp.abspath(str(item.fspath)).startswith(_CODEBASES_DIR):
        return 'codebases'
    marked = [t for t in TIERS[1:] if item.get_closest_marker(t) is not None]
    return marked[-1] if marked else 'fast'


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption('--all-tiers', action='store_true',
                     help='run the slow/dist/codebases tiers even when a fast-tier test failed')


@pytest.hookimpl(trylast=True)  # after the markers other conftests add
def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    order = {t: i for i, t in enumerate(TIERS)}
    for item in items:
        item.stash[_TIER_KEY] = tier_of(item)
    items.sort(key=lambda it: order[it.stash[_TIER_KEY]])  # stable: file order kept inside a tier


def _tier(item: pytest.Item) -> str:
    return item.stash.get(_TIER_KEY, 'fast')


def pytest_runtest_setup(item: pytest.Item) -> None:
    tier = _tier(item)
    _STATE.started.setdefault(tier, time.monotonic())
    if tier != 'fast' and _STATE.first_fast_failure and not item.config.getoption('--all-tiers'):
        pytest.skip(f'{tier} tier not run: {_STATE.fast_failures} fast-tier test(s) failed, first '
                    f'{_STATE.first_fast_failure} (pass --all-tiers to run it anyway)')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    tier = _tier(item)
    _STATE.finished[tier] = time.monotonic()
    if report.failed and tier == 'fast':
        _STATE.fast_failures += 1
        if _STATE.first_fast_failure is None:
            _STATE.first_fast_failure = item.nodeid
    if report.when == 'call' or (report.when == 'setup' and not report.passed):
        key = 'failed' if report.failed else 'skipped' if report.skipped else 'passed'
        _STATE.counts[tier][key] = _STATE.counts[tier].get(key, 0) + 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore
    tr = terminalreporter
    tr.section('test tiers')
    for tier in TIERS:
        counts = _STATE.counts[tier]
        if not counts:
            continue
        wall = _STATE.finished.get(tier, 0.0) - _STATE.started.get(tier, 0.0)
        detail = ', '.join(f'{n} {k}' for k, n in sorted(counts.items()))
        tr.write_line(f'{tier:>9}: {wall:7.1f} s  ({detail})')
    crash_helpers = sys.modules.get('crash_helpers')  # only when a crash test ran
    if crash_helpers is not None:
        tr.write_line(f'crash tests: CRASH_TEST_SEED={crash_helpers.CRASH_TEST_SEED} '
                      f'({crash_helpers.CRASH_TEST_SEED_SOURCE})')
    dist_helpers = sys.modules.get('dist_helpers')
    for line in getattr(dist_helpers, 'RETRIED', []):
        tr.write_line(f'repeated after a native abort: {line}', yellow=True)
