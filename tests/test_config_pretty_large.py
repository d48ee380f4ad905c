"""pretty_text on large configs: statements are formatted by yapf in pieces (the same bytes as one yapf
call over the whole layout, as mmcv makes), and a statement too large for yapf goes through our printer,
whose layout for a flat list of scalars is yapf's own. A 5 MB literal prints in seconds."""
import glob
import os
import random
import site
import subprocess
import sys

import pytest

from legacy_runner.config import Config, pretty
from legacy_runner.config.printer import format_assignment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _whole_yapf(cfg):
    """mmcv's way: the whole layout in one yapf call."""
    return pretty._yapf_format(pretty.layout(cfg))


def _real_configs(step=150):
    out, largest = [], []
    for root in site.getsitepackages():
        for pkg in ('mmcls', 'mmseg', 'mmpose', 'mmdet'):
            files = sorted(f for f in glob.glob(os.path.join(root, pkg, '.mim', 'configs', '**', '*.py'),
                                                recursive=True) if '_base_' not in f)
            out += [f for f in files[::step] if 'wholebody' not in f]
            # the largest real statement (a 133-keypoint dataset_info, 129 kB unformatted)
            largest += [f for f in files if f.endswith('halpe/hrnet_w48_halpe_384x288_dark_plus.py')]
    return out, largest


REAL, LARGEST = _real_configs()


def _check_pieces(path, monkeypatch, runs=True):
    cfg = Config.fromfile(path)._cfg_dict.to_dict()
    whole = _whole_yapf(cfg)
    pieces = list(pretty._runs(cfg))
    if len(pieces) == 1:  # below the limit pretty_text is that one yapf call
        assert pieces == [(pretty.layout(cfg), None)]
    else:
        assert pretty.pretty_text(cfg) == whole, path
    # yapf formats each statement on its own: statement by statement gives the same bytes
    statements = [source for _, _, source in pretty._statements(cfg)]
    assert ''.join(pretty._yapf_format(s) for s in statements) == whole, path
    if runs:  # and pretty_text cut into several yapf pieces (no statement over the limit) too
        with monkeypatch.context() as m:
            m.setattr(pretty, 'YAPF_MAX_CHARS', max(len(s) for s in statements))
            assert len(list(pretty._runs(cfg))) > 1
            assert pretty.pretty_text(cfg) == whole, path


@pytest.mark.skipif(not REAL, reason='OpenMMLab configs not installed')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_real_configs_pieces_equal_one_yapf_call(monkeypatch):
    checked = 0
    for path in REAL:
        try:
            Config.fromfile(path)
        except Exception:  # a config needing a module that is not installed here
            continue
        _check_pieces(path, monkeypatch, runs=checked < 3)
        checked += 1
    assert checked >= 0.8 * len(REAL)


@pytest.mark.slow
@pytest.mark.skipif(not LARGEST, reason='mmpose configs not installed')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_largest_real_statement_stays_with_yapf(monkeypatch):
    path = LARGEST[0]
    sizes = [len(s) for _, _, s in pretty._statements(Config.fromfile(path)._cfg_dict.to_dict())]
    assert 100_000 < max(sizes) < pretty.YAPF_MAX_CHARS
    _check_pieces(path, monkeypatch)


def _scalars(rng, n):
    return [rng.choice([rng.randint(-10 ** 9, 10 ** 9), rng.random() * 10 ** rng.randint(-6, 6),
                        'a' * rng.randint(0, 20), None, True, -2.5]) for _ in range(n)]


@pytest.mark.parametrize('n', [1, 7, 200, 2000])
def test_flat_lists_printer_matches_yapf(n, monkeypatch):
    rng = random.Random(n)
    cfg = dict(model=dict(type='M', depth=50), data=[rng.random() for _ in range(n)] if n == 2000
               else _scalars(rng, n), lr=0.1)
    whole = _whole_yapf(cfg)
    assert pretty.pretty_text(cfg) == whole
    assert format_assignment('data', cfg['data']) in whole
    # every statement over the yapf limit goes through our printer: same bytes for these shapes
    monkeypatch.setattr(pretty, 'YAPF_MAX_CHARS', 5)
    assert all(large is not None for _, large in pretty._runs(cfg))
    assert pretty.pretty_text(cfg) == whole


def test_printer_matches_yapf_for_many_short_lists():
    rng = random.Random(0)
    for _ in range(60):
        key = 'k' * rng.randint(1, 40)
        value = _scalars(rng, rng.randint(1, 40))
        assert format_assignment(key, value) == _whole_yapf({key: value}), (key, value)


def test_top_level_mapping_keeps_one_call():
    # mmcv lays out such a top level as one {...} without commas, which yapf refuses: same error
    cfg = {'a-b': 1, 'c': [1, 2]}
    assert list(pretty._runs(cfg))[0][0] != pretty.layout(cfg)
    with pytest.raises(SyntaxError, match='Failed to format the config file'):
        pretty.pretty_text(cfg)


def _run_print_config(path):
    proc = subprocess.run([sys.executable, '-m', 'legacy_runner', 'print-config', path], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_five_megabyte_literal_prints_in_seconds(tmp_path):
    rng = random.Random(0)
    values = [rng.random() for _ in range(260_000)]
    path = tmp_path / 'big.py'
    path.write_text(f"model = dict(type='M', depth=50)\nbig = {values!r}\nlr = 0.1\n")
    assert path.stat().st_size > 5_000_000
    text = _run_print_config(str(path))  # yapf alone would take days on this statement
    assert text.startswith("model = dict(type='M', depth=50)\nbig = [\n    ")
    assert text.rstrip('\n').endswith(']\nlr = 0.1')  # print() adds one more newline
    assert max(len(line) for line in text.splitlines()) <= 79
    namespace: dict = {}
    exec(text, namespace)
    assert namespace['big'] == values


def test_dict_with_20k_entries_prints(tmp_path):
    # past the size where yapf is skipped (256 kB); Python's compile of the printed dict(k=...) call is
    # quadratic in its keywords, so the check stays at 20k entries
    path = tmp_path / 'bigdict.py'
    path.write_text("table = {f'k{i}': [i, i / 7] for i in range(20_000)}\n"
                    "stages = {i: 'x' for i in range(3)}\n")
    text = _run_print_config(str(path))
    namespace: dict = {}
    exec(text, namespace)
    assert namespace['table'] == {f'k{i}': [i, i / 7] for i in range(20_000)}
    assert max(len(line) for line in text.splitlines()) <= 79
