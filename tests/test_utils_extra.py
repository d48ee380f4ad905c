"""Timer, FileClient and the small helpers added for the mmcv shim (legacy_runner.utils)."""
import os
import os.path as osp
import subprocess
import sys
import time
import warnings

import pytest

from legacy_runner.utils import (
    FileClient,
    Timer,
    TimerError,
    check_time,
    concat_list,
    deprecated_api_warning,
    dict_from_file,
    iter_cast,
    list_from_file,
    obj_from_dict,
    requires_package,
    slice_list,
    to_2tuple,
    to_ntuple,
)


def test_utils_package_stays_torch_free() -> None:
    code = 'import sys, legacy_runner.utils; assert "torch" not in sys.modules'
    subprocess.run([sys.executable, '-c', code], check=True, timeout=60)


def test_timer(capsys: pytest.CaptureFixture) -> None:
    timer = Timer()
    time.sleep(0.01)
    assert timer.is_running and timer.since_last_check() >= 0.01
    assert timer.since_start() >= 0.01
    with Timer(print_tmpl='took {:.1f}'):
        pass
    assert capsys.readouterr().out.startswith('took ')
    stopped = Timer(start=False)
    with pytest.raises(TimerError, match='timer is not running'):
        stopped.since_start()
    assert check_time('shim-test') == 0
    assert check_time('shim-test') >= 0


def test_file_client_local(tmp_path: 'os.PathLike') -> None:
    client = FileClient(backend='disk')
    path = osp.join(str(tmp_path), 'sub', 'a.txt')
    client.put_text('1 x\n2 y z\n', path)
    assert client.get(path) == b'1 x\n2 y z\n' and client.exists(path) and client.isfile(path)
    assert client.join_path(str(tmp_path), 'sub') == osp.dirname(path)
    with client.get_local_path(path) as local:
        assert local == path
    assert list(client.list_dir_or_file(str(tmp_path), recursive=True)) == ['sub', osp.join('sub', 'a.txt')]
    assert FileClient.infer_client(uri=path).name == 'HardDiskBackend'  # mmcv: the backend's class name
    assert list_from_file(path, prefix='#') == ['#1 x', '#2 y z']
    assert dict_from_file(path, key_type=int) == {1: 'x', 2: ['y', 'z']}
    # registered as in mmcv; constructing it without petrel_client is mmcv's ImportError
    with pytest.raises(ImportError, match='petrel'):
        FileClient(backend='petrel')
    assert FileClient.infer_client(uri='https://example.com/a.jpg').name == 'HTTPBackend'


def test_small_helpers() -> None:
    assert to_2tuple(3) == (3, 3) and to_2tuple((1, 2)) == (1, 2) and to_ntuple(3)('a') == ('a', 'a', 'a')
    assert iter_cast(['1', '2'], int, tuple) == (1, 2)
    assert slice_list([1, 2, 3, 4], [1, 3]) == [[1], [2, 3, 4]]
    assert concat_list([[1], [2, 3]]) == [1, 2, 3]
    assert obj_from_dict(dict(type='collections.OrderedDict')) == {}
    assert obj_from_dict(dict(type='Fraction', numerator=1, denominator=2),
                         parent=__import__('fractions')) == 0.5

    @requires_package('no_such_package_xyz')
    def needs() -> None:
        pass

    with pytest.raises(RuntimeError):
        needs()

    @deprecated_api_warning({'old': 'new'}, cls_name='C')
    def renamed(new: int = 0) -> int:
        return new

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert renamed(old=5) == 5
    assert 'deprecated' in str(caught[0].message)
    with pytest.raises(AssertionError):
        renamed(old=1, new=2)
