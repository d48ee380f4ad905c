"""Runner checkpoints and resume (resume, save_checkpoint and the mmcv 1.7.2 quirks they keep)."""
import logging
import os
import os.path as osp

import pytest
import torch
from golden_model import GoldenNet

from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner

DATA = osp.join(osp.dirname(__file__), 'data', 'mmcv_run')
LOGGER = logging.getLogger('test_runner_resume')


class Model(GoldenNet):
    def train_step(self, data, optimizer, **kwargs):
        return dict(loss=self(data).sum(), num_samples=len(data))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    def forbidden(_):
        raise AssertionError('time.sleep called')  # mmcv sleeps; we must not
    monkeypatch.setattr('time.sleep', forbidden)


def batches(n):
    return [torch.ones(2, 4) * i for i in range(n)]


def make_runner(cls=EpochBasedRunner, **kw):
    model = Model()
    kw.setdefault('optimizer', torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    return cls(model, logger=LOGGER, **kw)


def test_epoch_runner_save_checkpoint(tmp_path):
    r = make_runner(meta=dict(exp_name='x', hook_msgs=dict(a=1)))
    r._epoch, r._iter = 2, 12
    user_meta = dict(note='n', epoch=99)
    r.save_checkpoint(str(tmp_path), meta=user_meta)
    assert user_meta == dict(note='n', epoch=3, exp_name='x', hook_msgs=dict(a=1), iter=12)  # as mmcv
    ckpt = torch.load(tmp_path / 'epoch_3.pth', weights_only=True)
    assert list(ckpt['meta']) == ['note', 'epoch', 'exp_name', 'hook_msgs', 'iter', 'mmcv_version', 'time',
                                  'legacy_runner_version']
    assert ckpt['meta']['epoch'] == 3 and ckpt['meta']['iter'] == 12
    assert os.readlink(tmp_path / 'latest.pth') == 'epoch_3.pth'
    r.save_checkpoint(str(tmp_path), 'ep{}.pth', False, None, False)  # positional order
    assert 'optimizer' not in torch.load(tmp_path / 'ep3.pth', weights_only=True)
    assert os.readlink(tmp_path / 'latest.pth') == 'epoch_3.pth'
    with pytest.raises(TypeError, match='meta should be a dict or None'):
        r.save_checkpoint(str(tmp_path), meta=[1])


def test_resume_from_golden_epoch_checkpoint(caplog):
    r = make_runner(meta=dict(exp_name='new', hook_msgs=dict(keep=1)))
    with caplog.at_level(logging.INFO, logger='test_runner_resume'):
        r.resume(osp.join(DATA, 'epoch_3.pth'))  # 'default' map_location works on CPU
    golden = torch.load(osp.join(DATA, 'epoch_3.pth'), weights_only=True)
    assert (r.epoch, r.iter, r.inner_iter) == (3, 18, 0)
    assert r.meta == golden['meta']  # replaced wholesale
    assert r.meta['hook_msgs'] == {'last_ckpt': 'work_dirs/tiny/epoch_2.pth'}
    assert r.optimizer.param_groups[0]['lr'] == pytest.approx(0.01)
    assert r.optimizer.param_groups[0]['initial_lr'] == 0.1
    state = r.optimizer.state_dict()['state']
    for k, v in golden['optimizer']['state'].items():
        assert torch.equal(state[k]['momentum_buffer'], v['momentum_buffer'])
    for k, v in golden['state_dict'].items():
        assert torch.equal(r.model.state_dict()[k], v)
    assert caplog.records[-1].getMessage() == 'resumed epoch 3, iter 18'

    r2 = make_runner(optimizer=None)
    with pytest.raises(TypeError, match='Optimizer should be dict or torch.optim.Optimizer'):
        r2.resume(osp.join(DATA, 'epoch_3.pth'))
    r3 = make_runner()
    r3.resume(osp.join(DATA, 'epoch_3.pth'), resume_optimizer=False, map_location='cpu')
    assert r3.optimizer.param_groups[0]['lr'] == 0.1


def test_resume_rescales_iter_on_gpu_count_change(tmp_path, caplog):
    r = make_runner(meta=dict(config="gpu_ids = [0, 1, 2, 3]\n"))
    r._epoch, r._iter = 1, 5
    r.save_checkpoint(str(tmp_path))
    r2 = make_runner()
    with caplog.at_level(logging.INFO, logger='test_runner_resume'):
        r2.resume(str(tmp_path / 'latest.pth'))
    assert r2.iter == 20 and r2.epoch == 2  # 5 iters on 4 GPUs == 20 on 1
    assert 'the iteration number is changed due to change of GPU number' in caplog.text


def test_iter_runner_checkpoint_and_resume(tmp_path):
    r = make_runner(IterBasedRunner, max_iters=6, work_dir=str(tmp_path), meta=dict(exp_name='e'))
    r.register_training_hooks(None, checkpoint_config=dict(interval=3), log_config=None)
    r.run([batches(4)], [('train', 1)])
    assert sorted(os.listdir(tmp_path)) == ['iter_3.pth', 'iter_6.pth', 'latest.pth']
    meta = torch.load(tmp_path / 'iter_6.pth', weights_only=True)['meta']
    # mmcv 1.7.2: meta iter is the 0-based index of the finished iteration; epoch lags
    assert (meta['iter'], meta['epoch']) == (5, 2)
    assert meta['hook_msgs'] == {'last_ckpt': str(tmp_path / 'iter_3.pth')}

    # a file without our continuation record (as real mmcv writes it) resumes as mmcv does
    ckpt = torch.load(tmp_path / 'iter_6.pth', weights_only=True)
    record = ckpt['meta'].pop('continuation')
    torch.save(ckpt, tmp_path / 'mmcv_iter_6.pth')
    r2 = make_runner(IterBasedRunner, max_iters=6)
    r2.resume(str(tmp_path / 'mmcv_iter_6.pth'))
    assert (r2.epoch, r2.iter, r2.inner_iter) == (2, 5, 5)
    assert r2.meta == {'hook_msgs': {'last_ckpt': str(tmp_path / 'iter_3.pth')}}  # only hook_msgs
    # mmcv 1.7.2 argument order: (out_dir, filename_tmpl, meta, save_optimizer)
    r2.save_checkpoint(str(tmp_path), 'it_{}.pth', dict(k=1), False)
    ckpt = torch.load(tmp_path / 'it_6.pth', weights_only=True)
    assert 'optimizer' not in ckpt and ckpt['meta']['k'] == 1 and ckpt['meta']['iter'] == 5
    assert 'continuation' not in ckpt['meta']  # saved outside the loop: no position to record

    # with the record, the run continues after the 6th iteration (batch 2 of pass 1)
    assert (record['iter'], record['epoch'], record['workflow']) == (6, 1, (0, 1))
    assert record['loaders'][0]['epoch'] == 1 and record['loaders'][0]['pass']['consumed'] == 2
    r3 = make_runner(IterBasedRunner, max_iters=6)
    r3.resume(str(tmp_path / 'iter_6.pth'))
    assert (r3.epoch, r3.iter, r3.inner_iter) == (1, 6, 1)


def test_runner_load_checkpoint_unescaped_revise_keys(tmp_path):
    # BaseRunner.load_checkpoint's default pattern is r'^module.' (unescaped)
    model = Model()
    sd = {'moduleXfc.weight' if k == 'fc.weight' else k: v for k, v in model.state_dict().items()}
    torch.save(dict(state_dict=sd), tmp_path / 'c.pth')
    r = make_runner()
    r.load_checkpoint(str(tmp_path / 'c.pth'), strict=True)
    assert torch.equal(r.model.fc.weight, model.fc.weight)
