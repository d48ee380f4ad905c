"""ProgressBar / track_* : mmcv formats on a tty, summary-only on a log stream, silent off rank 0."""
import io
import os
import sys
from unittest import mock

import pytest

from legacy_runner.utils import progressbar as pb
from legacy_runner.utils.progressbar import (
    ProgressBar,
    track_iter_progress,
    track_parallel_progress,
    track_progress,
)


class _Clock:
    """A fake perf_counter: elapsed time is whatever the test says (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    fake = _Clock()
    with mock.patch.object(pb.time, 'perf_counter', fake):
        yield fake


@pytest.fixture
def columns_80():
    with mock.patch.dict(os.environ, {'COLUMNS': '80'}):
        yield


def _identity(x):
    return x


def test_start_formats_tty():
    out = io.StringIO()
    ProgressBar(10, bar_width=50, file=out, interactive=True)
    assert out.getvalue() == f'[{" " * 50}] 0/10, elapsed: 0s, ETA:'
    out = io.StringIO()
    ProgressBar(file=out, interactive=True)
    assert out.getvalue() == 'completed: 0, elapsed: 0s'
    out = io.StringIO()
    ProgressBar(10, file=out, start=False, interactive=True)
    assert out.getvalue() == ''


def test_update_formats_tty(clock, columns_80):
    out = io.StringIO()
    bar = ProgressBar(10, bar_width=10, file=out, interactive=True)
    clock.now += 1.0
    bar.update()
    assert out.getvalue().endswith('\r[>         ] 1/10, 1.0 task/s, elapsed: 1s, ETA:     9s')
    clock.now += 1.0
    bar.update(4)
    assert out.getvalue().endswith('\r[>>>>>     ] 5/10, 2.5 task/s, elapsed: 2s, ETA:     2s')
    assert not out.getvalue().endswith('\n')  # mmcv leaves the line open

    out = io.StringIO()
    bar = ProgressBar(file=out, interactive=True)
    clock.now += 2.0
    bar.update()
    assert out.getvalue() == 'completed: 0, elapsed: 0s\rcompleted: 1, elapsed: 2s, 0.5 tasks/s'


def test_adaptive_bar_width(clock):
    # term width 60: the bar is limited to int(60*0.6)=36 and to (60 - len(msg) + 2)
    with mock.patch.dict(os.environ, {'COLUMNS': '60'}):
        out = io.StringIO()
        bar = ProgressBar(10, bar_width=50, file=out, interactive=True)
        clock.now += 1.0
        bar.update()
        line = out.getvalue().split('\r')[-1]
        assert len(line) <= 60
        width = line.index(']') - 1
        assert 2 <= width < 50
    with mock.patch.dict(os.environ, {'COLUMNS': '10'}):
        out = io.StringIO()
        bar = ProgressBar(10, bar_width=50, file=out, interactive=True)
        bar.update()
        assert out.getvalue().split('\r')[-1].startswith('[  ] 1/10')  # never narrower than 2


def test_log_stream_prints_only_the_summary(clock, columns_80):
    out = io.StringIO()  # not a tty
    bar = ProgressBar(4, bar_width=4, file=out)
    assert not bar.interactive
    for _ in range(3):
        bar.update()
    assert out.getvalue() == ''
    clock.now += 2.0
    bar.update()
    assert out.getvalue() == '[>>>>] 4/4, 2.0 task/s, elapsed: 2s, ETA:     0s\n'
    bar.finish()  # nothing more
    assert out.getvalue().count('\n') == 1


def test_log_stream_unknown_total(clock):
    out = io.StringIO()
    bar = ProgressBar(file=out)
    bar.update()
    bar.update()
    assert out.getvalue() == ''
    clock.now += 1.0
    bar.finish()
    assert out.getvalue() == 'completed: 2, elapsed: 1s, 2.0 tasks/s\n'


def test_silent_on_nonzero_rank():
    out = io.StringIO()
    with mock.patch.object(pb, '_dist_rank', return_value=1):
        bar = ProgressBar(2, file=out, interactive=True)
        bar.update()
        bar.update()
        bar.finish()
    assert out.getvalue() == ''


def test_track_progress(columns_80):
    out = io.StringIO()
    assert track_progress(lambda x, k=0: x + k, [1, 2, 3], file=out, k=1) == [2, 3, 4]
    assert out.getvalue().startswith('[') and '] 3/3, ' in out.getvalue()
    assert out.getvalue().count('\n') == 1  # the summary line only
    out = io.StringIO()
    assert track_progress(lambda x: x * 2, (iter([1, 2]), 2), file=out) == [2, 4]
    with pytest.raises(TypeError):
        track_progress(lambda x: x, 5)


def test_track_iter_progress_tty(columns_80):
    out = io.StringIO()
    with mock.patch.object(pb, '_isatty', return_value=True):
        seen = list(track_iter_progress([1, 2, 3], bar_width=3, file=out))
    assert seen == [1, 2, 3]
    text = out.getvalue()
    assert text.startswith('[   ] 0/3, elapsed: 0s, ETA:')
    assert text.count('\r') == 3 and text.endswith('\n')
    assert '\r[>>>] 3/3, ' in text


def test_track_parallel_progress():
    out = io.StringIO()
    results = track_parallel_progress(_identity, [1, 2, 3, 4], nproc=2, file=out)
    assert results == [1, 2, 3, 4]
    assert '4/4' in out.getvalue()
    out = io.StringIO()
    results = track_parallel_progress(_identity, [1, 2, 3, 4], nproc=2, keep_order=False,
                                      skip_first=True, file=out)
    assert sorted(results) == [1, 2, 3, 4]
    assert '2/2' in out.getvalue()  # the warm-up results are not counted


def test_real_stdout_default_is_respected(capsys):
    # capsys' stdout is not a tty: only the summary line.
    bar = ProgressBar(2, file=sys.stdout)
    bar.update(2)
    assert capsys.readouterr().out.count('\n') == 1
