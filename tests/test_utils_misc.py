"""Torch-free helpers: misc utils, Priority, LogBuffer, the Hook base."""
import os
import subprocess
import sys

import numpy as np
import pytest

from legacy_runner.hooks.hook import Hook
from legacy_runner.runner.log_buffer import LogBuffer
from legacy_runner.runner.priority import Priority, get_priority
from legacy_runner.utils import misc


def test_seq_checks():
    assert misc.is_seq_of([1, 2], int) and misc.is_seq_of((1, 2), int)
    assert not misc.is_seq_of([1, 'a'], int)
    assert misc.is_list_of([1], int) and not misc.is_list_of((1,), int)
    assert misc.is_tuple_of((1,), int) and not misc.is_tuple_of([1], int)
    assert misc.is_str('x') and not misc.is_str(1)


def test_paths(tmp_path):
    target = tmp_path / 'a' / 'b'
    misc.mkdir_or_exist(str(target))
    misc.mkdir_or_exist(str(target))  # idempotent
    misc.mkdir_or_exist('')  # no-op
    (target / 'x.py').write_text('')
    (target / '.hidden.py').write_text('')
    (tmp_path / 'a' / 'y.PY').write_text('')
    found = sorted(misc.scandir(str(tmp_path), '.py', recursive=True))
    assert found == [os.path.join('a', 'b', 'x.py')]
    found = sorted(misc.scandir(str(tmp_path), '.py', recursive=True, case_sensitive=False))
    assert found == [os.path.join('a', 'b', 'x.py'), os.path.join('a', 'y.PY')]
    with pytest.raises(TypeError):
        list(misc.scandir(str(tmp_path), suffix=1))
    link = tmp_path / 'link'
    misc.symlink('a', str(link))
    misc.symlink('a/b', str(link))  # overwrite
    assert os.readlink(link) == 'a/b'
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        misc.check_file_exist(str(tmp_path / 'nope.txt'))


def test_import_modules_from_strings():
    assert misc.import_modules_from_strings('os.path') is os.path
    assert misc.import_modules_from_strings(['os', 'sys']) == [os, sys]
    with pytest.raises(ImportError, match='no_such_module_xyz'):
        misc.import_modules_from_strings(['no_such_module_xyz'])
    with pytest.warns(UserWarning):
        assert misc.import_modules_from_strings(['no_such_module_xyz'],
                                                allow_failed_imports=True) == [None]
    assert misc.import_modules_from_strings(None) is None


def test_digit_version_orders_prereleases():
    assert misc.digit_version('1.7.2') > misc.digit_version('1.7.2rc1')
    assert misc.digit_version('1.7.2rc1') > misc.digit_version('1.7.1')
    assert misc.digit_version('2.0') == misc.digit_version('2.0.0')


def test_priority():
    assert [p.value for p in Priority] == [0, 10, 30, 40, 50, 60, 70, 90, 100]
    assert get_priority('very_low') == 90 and get_priority(Priority.HIGH) == 30
    assert get_priority(5) == 5
    with pytest.raises(ValueError):
        get_priority(101)
    with pytest.raises(KeyError):
        get_priority('medium')
    with pytest.raises(TypeError):
        get_priority(1.5)


def test_log_buffer_weighted_average():
    buf = LogBuffer()
    buf.update({'loss': 1.0, 'acc': 0.5}, count=2)
    buf.update({'loss': 4.0, 'acc': 1.0}, count=1)
    buf.update({'loss': 2.0, 'acc': 0.0}, count=1)
    buf.average(2)
    assert buf.ready
    assert buf.output['loss'] == pytest.approx((4.0 + 2.0) / 2)
    buf.average()  # n=0 -> whole history, weighted by count
    assert buf.output['loss'] == pytest.approx((1.0 * 2 + 4.0 + 2.0) / 4)
    assert isinstance(buf.output['acc'], np.float64)
    assert list(buf.output) == ['loss', 'acc']
    buf.clear_output()
    assert not buf.ready and not buf.output and buf.val_history
    buf.clear()
    assert not buf.val_history and not buf.n_history


class _Runner:
    epoch, iter, inner_iter, _max_epochs, _max_iters = 1, 9, 4, 2, 10
    data_loader = range(5)


def test_hook_helpers_and_forwarding():
    calls = []

    class H(Hook):
        def before_epoch(self, runner):
            calls.append('be')

        def after_train_iter(self, runner):
            calls.append('ati')

    h, r = H(), _Runner()
    h.before_train_epoch(r)
    h.before_val_epoch(r)
    h.after_train_iter(r)
    h.after_val_iter(r)  # not overridden -> no call
    assert calls == ['be', 'be', 'ati']
    assert h.get_triggered_stages() == ['before_train_epoch', 'after_train_iter', 'before_val_epoch']
    assert h.every_n_epochs(r, 2) and not h.every_n_epochs(r, 0)
    assert h.every_n_iters(r, 5) and h.every_n_inner_iters(r, 5)
    assert h.end_of_epoch(r) and h.is_last_epoch(r) and h.is_last_iter(r)
    assert Hook().get_triggered_stages() == []


def test_light_imports_do_not_pull_torch():
    code = ('import sys, legacy_runner, legacy_runner.registry, legacy_runner.utils\n'
            'bad = [m for m in ("torch", "matplotlib", "tensorboard") if m in sys.modules]\n'
            'assert not bad, bad')
    subprocess.run([sys.executable, '-c', code], check=True)
