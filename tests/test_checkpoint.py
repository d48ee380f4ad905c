"""Checkpoint I/O: layout vs the golden mmcv file, atomic writes, loading, schemes."""
import logging
import os
import os.path as osp
import pickle
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from golden_model import GoldenNet

import legacy_runner
import legacy_runner.checkpoint as ckpt_mod
from legacy_runner.checkpoint import (
    CheckpointLoader,
    _load_checkpoint,
    _load_checkpoint_with_prefix,
    get_state_dict,
    load_checkpoint,
    load_state_dict,
    save_checkpoint,
    weights_to_cpu,
)
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner

GOLDEN = osp.join(osp.dirname(__file__), 'data', 'mmcv_run', 'epoch_3.pth')
LOGGER = logging.getLogger('test_checkpoint')


class Model(GoldenNet):
    def train_step(self, data, optimizer):
        return dict(loss=self(data).sum())


def _golden():
    return torch.load(GOLDEN, weights_only=True)


def _structure(obj):
    """Key names and value types, recursively (what must match the golden file)."""
    if isinstance(obj, dict):
        return {k: _structure(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_structure(v) for v in obj]
    return type(obj).__name__


# ---------------------------------------------------------------------------------- golden
def test_load_golden_checkpoint_into_model(capsys):
    model = Model()
    checkpoint = load_checkpoint(model, GOLDEN)
    golden = _golden()
    assert list(checkpoint) == ['meta', 'state_dict', 'optimizer']
    assert checkpoint['meta'] == golden['meta']
    for k, v in golden['state_dict'].items():
        assert torch.equal(model.state_dict()[k], v)
    assert f'load checkpoint from local path: {GOLDEN}' in capsys.readouterr().out


def test_saved_file_matches_golden_layout(tmp_path):
    """A runner-written checkpoint has the golden file's keys, meta keys/types, optimizer layout."""
    model = Model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    model(torch.randn(3, 4)).sum().backward()
    optimizer.step()
    for group in optimizer.param_groups:  # what the LR updater hook adds in before_run
        group.setdefault('initial_lr', group['lr'])
    runner = EpochBasedRunner(model, optimizer=optimizer, logger=LOGGER,
                              meta=dict(seed=0, exp_name='tiny.py', config='x = 1\n',
                                        hook_msgs=dict(last_ckpt='work_dirs/tiny/epoch_2.pth')))
    runner._epoch, runner._iter = 2, 18
    runner.save_checkpoint(str(tmp_path))
    ours = torch.load(tmp_path / 'epoch_3.pth', weights_only=False)
    golden = _golden()
    assert list(ours) == list(golden)
    # our one addition says who wrote the file; mmcv's key holds the version the shim reports
    assert ours['meta'].pop('legacy_runner_version') == legacy_runner.__version__
    assert (ours['meta']['mmcv_version'], golden['meta']['mmcv_version']) == ('1.7.0', '1.7.2')
    assert list(ours['meta']) == list(golden['meta'])
    assert _structure(ours['meta']) == _structure(golden['meta'])
    assert ({k: v for k, v in ours['meta'].items() if k not in ('time', 'mmcv_version')}
            == {k: v for k, v in golden['meta'].items() if k not in ('time', 'mmcv_version')})
    assert _structure(ours['optimizer']) == _structure(golden['optimizer'])
    assert list(ours['state_dict']) == list(golden['state_dict'])
    assert ours['state_dict']._metadata == golden['state_dict']._metadata
    assert type(ours['state_dict']) is OrderedDict
    # and the restricted loader accepts it too
    assert list(torch.load(tmp_path / 'latest.pth', weights_only=True)) == list(golden)


# ------------------------------------------------------------------------------ round trip
def test_round_trip_meta_classes_and_optimizer_dict(tmp_path):
    model = Model()
    model.CLASSES = ('cat', 'dog')
    opts = dict(a=torch.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9),
                b=torch.optim.Adam(model.bn.parameters(), lr=0.01))
    meta = dict(note=1)
    path = str(tmp_path / 'sub' / 'x.pth')
    save_checkpoint(model, path, optimizer=opts, meta=meta)
    assert meta == dict(note=1)
    ckpt = torch.load(path, weights_only=True)
    assert list(ckpt['meta']) == ['note', 'mmcv_version', 'time', 'legacy_runner_version', 'CLASSES']
    # mmcv's key holds the version the shim reports; ours says that legacy_runner wrote the file
    assert ckpt['meta']['mmcv_version'] == '1.7.0' and ckpt['meta']['CLASSES'] == ('cat', 'dog')
    assert ckpt['meta']['legacy_runner_version'] == legacy_runner.__version__
    assert set(ckpt['optimizer']) == {'a', 'b'} and ckpt['optimizer']['b']['param_groups'][0]['lr'] == 0.01
    other = Model()
    returned = load_checkpoint(other, path, map_location='cpu', logger=LOGGER)
    assert returned['meta']['note'] == 1
    for k, v in model.state_dict().items():
        assert torch.equal(other.state_dict()[k], v)
    with pytest.raises(TypeError, match='meta must be a dict or None'):
        save_checkpoint(model, path, meta=[1])


def test_wrapped_model_and_revise_keys(tmp_path):
    model = Model()
    save_checkpoint(nn.DataParallel(model), str(tmp_path / 'w.pth'))
    keys = list(torch.load(tmp_path / 'w.pth', weights_only=True)['state_dict'])
    assert keys[0] == 'fc.weight'  # wrappers are unwrapped
    torch.save({'state_dict': {'module.' + k: v for k, v in model.state_dict().items()}}, tmp_path / 'm.pth')
    other = nn.DataParallel(Model())
    load_checkpoint(other, str(tmp_path / 'm.pth'), strict=True, logger=LOGGER)
    assert torch.equal(other.module.fc.weight, model.fc.weight)
    # a plain state dict (no 'state_dict' key) with custom revise_keys
    torch.save({'net.' + k: v for k, v in model.state_dict().items()}, tmp_path / 'p.pth')
    load_checkpoint(Model(), str(tmp_path / 'p.pth'), strict=True, logger=LOGGER,
                    revise_keys=[(r'^net\.', '')])
    torch.save([1, 2], tmp_path / 'list.pth')
    with pytest.raises(RuntimeError, match='No state_dict found in checkpoint file'):
        load_checkpoint(Model(), str(tmp_path / 'list.pth'), logger=LOGGER)


# ------------------------------------------------------------------------------- atomicity
def test_atomic_write_and_latest_link(tmp_path, monkeypatch):
    model = Model()
    runner = EpochBasedRunner(model, logger=LOGGER)
    runner.save_checkpoint(str(tmp_path))
    runner._epoch = 1
    runner.save_checkpoint(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'epoch_2.pth', 'latest.pth']  # no temp files
    assert os.readlink(tmp_path / 'latest.pth') == 'epoch_2.pth'  # relative target
    good = (tmp_path / 'epoch_2.pth').read_bytes()

    # a failure while writing leaves the existing file and the link untouched, and no temp file
    def broken_save(obj, f, *a, **k):
        f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(OSError, match='disk full'):
        runner.save_checkpoint(str(tmp_path))
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'epoch_2.pth', 'latest.pth']
    assert (tmp_path / 'epoch_2.pth').read_bytes() == good
    assert torch.load(tmp_path / 'latest.pth', weights_only=True)['meta']['epoch'] == 2


def test_latest_is_a_copy_without_symlinks(tmp_path, monkeypatch):
    def no_symlink(*a, **k):
        raise OSError('symlinks not supported')

    monkeypatch.setattr(os, 'symlink', no_symlink)
    runner = EpochBasedRunner(Model(), logger=LOGGER)
    runner.save_checkpoint(str(tmp_path))
    latest = tmp_path / 'latest.pth'
    assert not latest.is_symlink()
    assert latest.read_bytes() == (tmp_path / 'epoch_1.pth').read_bytes()
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'latest.pth']


# ------------------------------------------------------------------------------ state dicts
class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer('scratch', torch.ones(1), persistent=False)


def test_get_state_dict_keeps_non_persistent_buffers():
    model = WithBuffer()
    sd = get_state_dict(nn.DataParallel(model))
    assert list(sd) == ['scratch', 'lin.weight', 'lin.bias']  # own tensors first, as torch
    assert 'scratch' not in model.state_dict()
    assert sd._metadata == OrderedDict([('', {'version': 1}), ('lin', {'version': 1})])
    assert not sd['lin.weight'].requires_grad
    cpu = weights_to_cpu(sd)
    assert cpu._metadata == sd._metadata and list(cpu) == list(sd)
    with pytest.raises(RuntimeError, match='unexpected key in source state_dict: scratch'):
        load_state_dict(WithBuffer(), sd, strict=True)


def test_load_state_dict_messages(capsys):
    model = Model()
    sd = model.state_dict()
    sd.pop('bn.num_batches_tracked')  # ignored when missing
    sd.pop('fc.bias')
    sd['extra.w'] = torch.zeros(1)
    load_state_dict(Model(), sd)
    out = capsys.readouterr().out
    assert out == ('The model and loaded state dict do not match exactly\n\n'
                   'unexpected key in source state_dict: extra.w\n\n'
                   'missing keys in source state_dict: fc.bias\n\n')
    with pytest.raises(RuntimeError, match='missing keys in source state_dict: fc.bias'):
        load_state_dict(Model(), sd, strict=True)


def test_load_checkpoint_with_prefix(tmp_path):
    model = Model()
    save_checkpoint(model, str(tmp_path / 'c.pth'))
    sd = _load_checkpoint_with_prefix('fc', str(tmp_path / 'c.pth'))
    assert list(sd) == ['weight', 'bias'] and torch.equal(sd['weight'], model.fc.weight)
    with pytest.raises(AssertionError, match='head. is not in the pretrained model'):
        _load_checkpoint_with_prefix('head', str(tmp_path / 'c.pth'))


# ---------------------------------------------------------------------------------- loaders
class NotATensor:
    def __init__(self, v):
        self.v = v


def test_no_silent_weights_only_fallback(tmp_path):
    # an object outside the allow-list is refused; full unpickling only on request (test_safe_load.py)
    torch.save(dict(state_dict={}, meta=dict(obj=NotATensor(3))), tmp_path / 'obj.pth')
    with pytest.raises(pickle.UnpicklingError, match='NotATensor.*--unsafe-load'):
        _load_checkpoint(str(tmp_path / 'obj.pth'), logger='silent')
    ckpt = _load_checkpoint(str(tmp_path / 'obj.pth'), logger='silent', unsafe=True)
    assert ckpt['meta']['obj'].v == 3


def test_scheme_resolution_and_offline_schemes(tmp_path):
    schemes = list(CheckpointLoader._schemes)
    assert schemes == sorted(schemes, reverse=True) and schemes[-1] == ''
    assert {'http://', 'https://', 'torchvision://', 'modelzoo://', 'open-mmlab://', 'openmmlab://',
            'mmcls://', 'pavi://', r'(\S+\:)?s3://'} <= set(schemes)
    get = CheckpointLoader._get_checkpoint_loader
    assert get('a/b.pth').__name__ == 'load_from_local'
    assert get('https://x/y.pth').__name__ == 'load_from_http'
    assert get('open-mmlab://resnet50').__name__ == 'load_from_openmmlab'
    assert get('bucket:s3://x').__name__ == 'load_from_ceph'
    with pytest.raises(RuntimeError, match='not available offline'):
        _load_checkpoint('torchvision://resnet50', logger='silent')
    with pytest.raises(FileNotFoundError, match='can not be found'):
        _load_checkpoint(str(tmp_path / 'missing.pth'), logger='silent')
    with pytest.raises(KeyError, match='already registered'):
        CheckpointLoader.register_scheme('http://', lambda f, m=None: None)

    @CheckpointLoader.register_scheme(prefixes='mem://')
    def load_from_mem(filename, map_location=None):
        return dict(state_dict={}, name=filename)

    try:
        assert _load_checkpoint('mem://x', logger='silent')['name'] == 'mem://x'
        CheckpointLoader.register_scheme('mem://', lambda f, m=None: 'forced', force=True)
        assert _load_checkpoint('mem://x', logger='silent') == 'forced'
    finally:
        CheckpointLoader._schemes.pop('mem://')


def test_http_loader_caches_download(tmp_path, monkeypatch):
    src = tmp_path / 'src.pth'
    save_checkpoint(Model(), str(src))
    downloads = []

    def fake_download(url, dst, progress=True):
        downloads.append(url)
        with open(src, 'rb') as s, open(dst, 'wb') as d:
            d.write(s.read())

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    url = 'https://example.com/models/net.pth'
    for _ in range(2):
        ckpt = _load_checkpoint(url, logger='silent')
        assert ckpt['meta']['mmcv_version'] == '1.7.0'
    assert downloads == [url]  # the second call used the cache
    assert osp.isfile(tmp_path / 'hub' / 'checkpoints' / 'net.pth')
    assert ckpt_mod.load_from_http.__name__ == 'load_from_http'


# ------------------------------------------------------------------------- CheckpointHook
def _run_with_hook(tmp_path, max_epochs, caplog=None, **hook_kw):
    from legacy_runner.hooks.checkpoint import CheckpointHook

    class Stepper(Model):
        def train_step(self, data, optimizer):
            return dict()

    runner = EpochBasedRunner(Stepper(), optimizer=None, work_dir=str(tmp_path / 'work'), logger=LOGGER,
                              meta=dict(exp_name='e'), max_epochs=max_epochs)
    hook = CheckpointHook(**hook_kw)
    runner.register_hook(hook)
    if caplog is not None:
        with caplog.at_level(logging.INFO, logger='test_checkpoint'):
            runner.run([[0]], [('train', 1)])
    else:
        runner.run([[0]], [('train', 1)])
    return runner, hook


def test_checkpoint_hook_max_keep_walks_back_and_stops(tmp_path, caplog):
    runner, _ = _run_with_hook(tmp_path, 7, caplog, interval=2, max_keep_ckpts=2)
    work = tmp_path / 'work'
    # saves at 2, 4, 6 and (save_last) 7. At 6, epoch_2 goes; at 7 the walk 3, 1 stops at the
    # missing epoch_3, so epoch_4 survives although max_keep_ckpts is 2.
    assert sorted(os.listdir(work)) == ['epoch_4.pth', 'epoch_6.pth', 'epoch_7.pth', 'latest.pth']
    assert runner.meta['hook_msgs']['last_ckpt'] == str(work / 'epoch_7.pth')
    # each file's own last_ckpt names the previous checkpoint (set after saving)
    assert torch.load(work / 'epoch_7.pth', weights_only=True)['meta']['hook_msgs'] == \
        {'last_ckpt': str(work / 'epoch_6.pth')}
    assert 'optimizer' not in torch.load(work / 'epoch_7.pth', weights_only=True)
    messages = [r.getMessage() for r in caplog.records]
    assert f'Checkpoints will be saved to {work} by HardDiskBackend.' in messages
    assert [m for m in messages if m.startswith('Saving')] == [
        f'Saving checkpoint at {n} epochs' for n in (2, 4, 6, 7)]


def test_checkpoint_hook_kwargs_out_dir_and_interval(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr('legacy_runner.hooks.checkpoint.allreduce_params',
                        lambda buffers: synced.append(len(list(buffers))))
    user_meta = dict(a=1)
    runner, hook = _run_with_hook(tmp_path, 3, out_dir=str(tmp_path / 'out'), filename_tmpl='ck_{}.pth',
                                  create_symlink=False, meta=user_meta, sync_buffer=True,
                                  save_optimizer=False)
    out = tmp_path / 'out' / 'work'  # out_dir + basename(work_dir)
    assert hook.out_dir == str(out) and sorted(os.listdir(out)) == ['ck_3.pth']  # interval -1: last only
    ckpt = torch.load(out / 'ck_3.pth', weights_only=True)
    assert ckpt['meta']['a'] == 1 and ckpt['meta']['epoch'] == 3
    assert user_meta == dict(a=1, exp_name='e', epoch=3, iter=3)  # updated in place, as mmcv does
    assert synced == [3]  # bn running_mean, running_var, num_batches_tracked
    assert runner.meta['hook_msgs']['last_ckpt'] == str(out / 'ck_3.pth')
    from legacy_runner.hooks.checkpoint import CheckpointHook
    with pytest.raises(ValueError, match='only local-disk'):
        CheckpointHook(file_client_args=dict(backend='petrel'))
