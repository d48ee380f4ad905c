"""Safe checkpoint loading: ``torch.load(weights_only=True)`` plus the allow-list of
``legacy_runner.safe_load`` for both runtimes; refusals name the file, the global and ``--unsafe-load``;
full unpickling only on explicit request (``unsafe=True``, ``trusting``, ``allow_unsafe``, the CLI flag).
"""
import datetime
import glob
import logging
import os
import os.path as osp
import pickle
import warnings
from collections import OrderedDict, defaultdict

import numpy as np
import pytest
import torch
import torch.nn as nn
from adapter_helpers import V1, V2, train_args
from run_helpers import ROOT, run_cli  # the command line in-process

from compat.adapter import run
from compat.adapter.checkpoints import load_any_checkpoint
from compat.v2.checkpoint import load_checkpoint_file, save_checkpoint_file
from compat.v2.logging import HistoryBuffer, MessageHub
from legacy_runner import safe_load
from legacy_runner.checkpoint import _load_checkpoint, load_checkpoint, save_checkpoint
from legacy_runner.cli import build_parser
from legacy_runner.safe_load import UnsafeCheckpointError

DATA = osp.join(ROOT, 'tests', 'data')
GOLDEN = sorted(glob.glob(osp.join(DATA, '**', '*.pth'), recursive=True))
LOGGER = logging.getLogger('test_safe_load')
ONE_EPOCH = {'v1': {'runner.max_epochs': 1, 'data.train.num_samples': 64},
             'v2': {'train_cfg.max_epochs': 1, 'train_dataloader.dataset.num_samples': 64}}


class Harmless:
    """Not on the allow-list, but harmless to unpickle (the opt-in cases)."""

    def __init__(self, value):
        self.value = value


class RunsShell:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}',)


class RunsEval:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return eval, (f'open({self.sentinel!r}, "w").close()',)


@pytest.fixture(autouse=True)
def _process_switch_off():
    safe_load.allow_unsafe(False)
    yield
    safe_load.allow_unsafe(False)


def load_quietly(load, *args, **kwargs):
    """``load(*args)`` with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        return load(*args, **kwargs)


def all_loaders(path):
    """The checkpoint through each public loader of both runtimes."""
    return [load_quietly(_load_checkpoint, path, map_location='cpu', logger='silent'),
            load_quietly(load_checkpoint_file, path),
            load_quietly(load_any_checkpoint, path)]


# ------------------------------------------------------------------- (a) our files, golden files
@pytest.mark.parametrize('path', GOLDEN, ids=[osp.relpath(p, DATA) for p in GOLDEN])
def test_golden_checkpoints_load_without_warning(path):
    assert len(GOLDEN) >= 4  # mmcv_run and mmengine_run
    before = set(torch.serialization.get_safe_globals())
    for ckpt in all_loaders(path):
        assert 'state_dict' in ckpt and 'meta' in ckpt
        if 'mmengine_run' in path:
            assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert set(torch.serialization.get_safe_globals()) == before  # nothing left registered


@pytest.fixture(scope='module')
def fp16_runs(tmp_path_factory):
    """One short fp16 (loss-scaled) epoch per runtime: {'v1': path, 'v2': path}."""
    out = {}
    for runtime, root in (('v1', V1), ('v2', V2)):
        work = str(tmp_path_factory.mktemp(f'fp16_{runtime}'))
        run.train(train_args(osp.join(root, 'mlp_cosine_accum_fp16.py'), work, runtime=runtime,
                             cfg_options=ONE_EPOCH[runtime]))
        out[runtime] = osp.join(work, 'epoch_1.pth')
    return out


def test_own_v1_checkpoint_with_loss_scaler_loads(fp16_runs):
    for ckpt in all_loaders(fp16_runs['v1']):
        assert ckpt['meta']['epoch'] == 1
        assert 'growth_factor' in ckpt['meta']['fp16']['loss_scaler']


def test_own_v2_checkpoint_with_message_hub_and_loss_scaler_loads(fp16_runs):
    for ckpt in all_loaders(fp16_runs['v2']):
        assert ckpt['meta']['epoch'] == 1
        assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
        assert 'scale' in ckpt['optimizer']['loss_scaler']
    # a plain weights_only load still refuses the message hub: the allow-list is not left behind
    with pytest.raises(pickle.UnpicklingError):
        torch.load(fp16_runs['v2'], weights_only=True)


def test_pickled_message_hub_and_mmengine_names_load(tmp_path):
    hub = MessageHub('safe', log_scalars=OrderedDict(loss=HistoryBuffer([1.0, 2.0], [1, 1])),
                     runtime_info=OrderedDict(epoch=3, best=np.float64(0.5)))
    save_checkpoint_file({'meta': {}, 'message_hub': hub}, str(tmp_path / 'hub.pth'))
    loaded = load_quietly(load_checkpoint_file, str(tmp_path / 'hub.pth'))['message_hub']
    assert isinstance(loaded, MessageHub)
    assert list(loaded.get_scalar('loss').data[0]) == [1.0, 2.0]
    assert loaded.get_info('best') == 0.5


# ---------------------------------------------------------------- (b) numpy, OrderedDict, defaultdict
def numpy_payload():
    counts = defaultdict(list, a=[1, 2])
    return {'f64': np.float64(1.5), 'i64': np.int64(7), 'f32': np.float32(0.25), 'flag': np.bool_(True),
            'array': np.arange(6, dtype=np.float32).reshape(2, 3), 'ints': np.array([1, 2], dtype=np.int64),
            'half': np.array([1.0], dtype=np.float16), 'text': np.array(['ab', 'c']),
            'ordered': OrderedDict(b=1, a=2), 'counts': counts, 'shared': (counts, 1)}


def check_numpy_payload(got):
    assert got['f64'] == 1.5 and type(got['f64']) is np.float64
    assert got['i64'] == 7 and type(got['i64']) is np.int64
    assert type(got['f32']) is np.float32 and bool(got['flag']) is True
    assert got['array'].dtype == np.float32 and got['array'].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got['ints'].dtype == np.int64 and got['half'].dtype == np.float16
    assert got['text'].tolist() == ['ab', 'c']
    assert type(got['ordered']) is OrderedDict and list(got['ordered']) == ['b', 'a']
    counts = got['counts']
    assert type(counts) is defaultdict and counts.default_factory is list and counts['a'] == [1, 2]
    assert got['shared'][0] is counts  # one object, as saved
    assert counts['new'] == []


@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy-format'])
def test_numpy_and_containers_load(tmp_path, zip_format):
    path = str(tmp_path / 'np.pth')
    torch.save({'meta': numpy_payload(), 'state_dict': {}}, path, _use_new_zipfile_serialization=zip_format)
    for ckpt in all_loaders(path):
        check_numpy_payload(ckpt['meta'])


def test_numpy_meta_through_save_checkpoint(tmp_path):
    model = nn.Linear(2, 2)
    path = str(tmp_path / 'best.pth')
    meta = dict(hook_msgs=dict(best_score=np.float64(0.75)), extra=numpy_payload())
    save_checkpoint(model, path, meta=meta)
    ckpt = load_quietly(load_checkpoint, nn.Linear(2, 2), path, logger=LOGGER)
    assert ckpt['meta']['hook_msgs']['best_score'] == 0.75
    check_numpy_payload(ckpt['meta']['extra'])


# ------------------------------------------------------------------------- (c) refusals, opt-in
@pytest.mark.parametrize('payload, refused', [(RunsShell, f'GLOBAL {os.system.__module__}.system'),
                                              (RunsEval, 'GLOBAL builtins.eval')], ids=['os.system', 'eval'])
@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy-format'])
def test_code_in_a_checkpoint_is_refused_without_running(tmp_path, payload, refused, zip_format):
    sentinel = tmp_path / 'ran'
    path = str(tmp_path / 'evil.pth')
    torch.save({'meta': {}, 'state_dict': {}, 'x': payload(str(sentinel))}, path,
               _use_new_zipfile_serialization=zip_format)
    loaders = [lambda: _load_checkpoint(path, logger='silent'),
               lambda: load_checkpoint(nn.Linear(2, 2), path, logger=LOGGER),
               lambda: load_checkpoint_file(path), lambda: load_any_checkpoint(path)]
    for load in loaders:
        with pytest.raises(UnsafeCheckpointError) as info:
            load()
        message = str(info.value)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert refused in message and path in message and '--unsafe-load' in message
        assert 'unsafe=True' in message and '\n' not in message
        assert info.value.refused == refused and info.value.filename == path
    assert not sentinel.exists()


def test_opt_in_loads_an_unlisted_object(tmp_path):
    path = str(tmp_path / 'trusted.pth')
    torch.save({'meta': {'obj': Harmless(3)}, 'state_dict': {}}, path)
    with pytest.raises(UnsafeCheckpointError, match=f'GLOBAL {__name__}.Harmless'):
        load_checkpoint_file(path)
    assert _load_checkpoint(path, logger='silent', unsafe=True)['meta']['obj'].value == 3
    assert load_checkpoint(nn.Linear(2, 2), path, logger=LOGGER, unsafe=True)['meta']['obj'].value == 3
    assert load_checkpoint_file(path, unsafe=True)['meta']['obj'].value == 3
    assert load_any_checkpoint(path, unsafe=True)['meta']['obj'].value == 3
    with safe_load.trusting():
        assert load_checkpoint_file(path)['meta']['obj'].value == 3
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(path)  # the scope ended
    safe_load.allow_unsafe(True)  # what --unsafe-load does
    assert _load_checkpoint(path, logger='silent')['meta']['obj'].value == 3
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(path, unsafe=False)  # an explicit argument wins


def test_trusted_load_still_maps_mmengine_classes():
    path = next(p for p in GOLDEN if 'mmengine_run' in p)
    ckpt = load_checkpoint_file(path, unsafe=True)
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)


class FetchesMethod:
    def __reduce__(self):
        return getattr, (HistoryBuffer, 'update')


def test_getattr_is_limited_to_the_statistics(tmp_path):
    path = str(tmp_path / 'getattr.pth')
    torch.save({'x': FetchesMethod()}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"getattr\(.*HistoryBuffer.*'update'\)"):
        load_checkpoint_file(path)


def test_not_a_pickle_is_refused_on_one_line(tmp_path):
    path = tmp_path / 'noise.pth'
    path.write_bytes(bytes(range(7, 250)) * 4)
    with pytest.raises(pickle.UnpicklingError) as info:
        load_checkpoint_file(str(path))
    assert '\n' not in str(info.value) and str(path) in str(info.value)


# ----------------------------------------------------------------------------------- (d) CLI
def test_cli_parsers_have_the_flag():
    parser = build_parser()
    assert parser.parse_args(['train', 'c.py', '--unsafe-load']).unsafe_load is True
    assert parser.parse_args(['train', 'c.py']).unsafe_load is False
    assert parser.parse_args(['test', 'c.py', 'x.pth', '--unsafe-load']).unsafe_load is True


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_cli_refuses_code_in_resume_from(tmp_path, runtime):
    sentinel = tmp_path / 'ran'
    evil = str(tmp_path / 'evil.pth')
    torch.save({'meta': {'epoch': 1, 'iter': 8}, 'state_dict': {}, 'x': RunsShell(str(sentinel))}, evil)
    config = osp.join(V1 if runtime == 'v1' else V2, 'mlp_step_epoch.py')
    proc = run_cli('train', config, '--work-dir', str(tmp_path / 'w'), '--resume-from', evil)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert evil in lines[0] and f'GLOBAL {os.system.__module__}.system' in lines[0]
    assert '--unsafe-load' in lines[0] and 'UnsafeCheckpointError' in lines[0]
    assert not sentinel.exists()


def test_cli_unsafe_load_trusts_the_file(tmp_path):
    work = str(tmp_path / 'first')
    run.train(train_args(osp.join(V1, 'mlp_step_epoch.py'), work, runtime='v1', cfg_options=ONE_EPOCH['v1']))
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)
    ckpt['stamp'] = datetime.date(2024, 1, 2)  # harmless, but not on the allow-list
    trusted = str(tmp_path / 'trusted.pth')
    torch.save(ckpt, trusted)
    args = ['train', osp.join(V1, 'mlp_step_epoch.py'), '--work-dir', str(tmp_path / 'w'),
            '--resume-from', trusted, '--cfg-options', 'runner.max_epochs=2', 'data.train.num_samples=64']
    refused = run_cli(*args)
    assert refused.returncode == 2 and 'GLOBAL datetime.date' in refused.stderr, refused.stderr
    trusted_run = run_cli(*args, '--unsafe-load')
    assert trusted_run.returncode == 0, trusted_run.stderr[-2000:]
    resumed = torch.load(str(tmp_path / 'w' / 'epoch_2.pth'), weights_only=True)
    assert resumed['meta']['epoch'] == 2
