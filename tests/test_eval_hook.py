"""EvalHook / DistEvalHook on the real runners, plus the engine's result collection."""
import json
import logging
import os
import os.path as osp
from typing import List

import pytest
import torch
from dist_helpers import free_port, spawn_with_retry
from torch import nn
from torch.utils.data import DataLoader, Dataset

from legacy_runner.engine import collect_results_cpu, collect_results_gpu, multi_gpu_test, single_gpu_test
from legacy_runner.hooks import HOOKS
from legacy_runner.hooks.evaluation import DistEvalHook, EvalHook
from legacy_runner.hooks.iter_timer import IterTimerHook
from legacy_runner.hooks.logger.text import TextLoggerHook
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner

LOGGER = logging.getLogger('test_eval_hook')


class ScoreDataset(Dataset):
    """``n`` one-feature samples; ``evaluate`` returns the scripted ``scores`` in turn."""

    def __init__(self, n: int = 4, scores=None, key: str = 'acc') -> None:
        self.n = n
        self.scores = list(scores) if scores is not None else []
        self.key = key
        self.calls: List[dict] = []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return dict(img=torch.tensor([float(i)]), gt_label=torch.tensor(0))

    def evaluate(self, results, logger=None, **kwargs) -> dict:
        assert len(results) == self.n
        self.calls.append(kwargs)
        score = self.scores[len(self.calls) - 1] if self.scores else 0.5
        return {self.key: score}


class TinyModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, img, gt_label=None, return_loss=True, **kwargs):
        out = self.linear(img)
        if return_loss:
            return out.mean()
        return list(out.detach().numpy())

    def train_step(self, data, optimizer=None, **kwargs):
        loss = self(**data)
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(data['img']))

    def val_step(self, data, optimizer=None, **kwargs):
        return self.train_step(data)


def _loader(dataset=None, batch_size: int = 2) -> DataLoader:
    return DataLoader(dataset if dataset is not None else ScoreDataset(), batch_size=batch_size)


def _runner(tmp_path, by_epoch: bool = True, max_units: int = 3, meta=None):
    model = TinyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if by_epoch:
        return EpochBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path), logger=LOGGER,
                                meta=meta, max_epochs=max_units)
    return IterBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path), logger=LOGGER, meta=meta,
                           max_iters=max_units)


class CountingTest:
    """A test_fn that records the runner counters at each evaluation."""

    def __init__(self, runner) -> None:
        self.runner = runner
        self.at: List[int] = []

    def __call__(self, model, loader):
        self.at.append(self.runner.epoch if self.by_epoch else self.runner.iter)
        return [0.0] * len(loader.dataset)


def _count_evals(tmp_path, by_epoch, start, interval, max_units, resume_at=0) -> List[int]:
    runner = _runner(tmp_path, by_epoch, max_units)
    counter = CountingTest(runner)
    counter.by_epoch = by_epoch
    runner.register_hook(EvalHook(_loader(), start=start, interval=interval, by_epoch=by_epoch,
                                  test_fn=counter))
    if by_epoch:
        runner._epoch = resume_at
    else:
        runner._iter = resume_at
    runner.run([_loader()], [('train', 1)])
    return counter.at


# ------------------------------------------------------------------------- construction / rules
def test_not_registered_in_hooks():
    assert HOOKS.get('EvalHook') is None and HOOKS.get('DistEvalHook') is None


def test_argument_validation():
    with pytest.raises(TypeError, match='dataloader must be a pytorch DataLoader'):
        EvalHook(ScoreDataset())
    with pytest.raises(ValueError, match='interval must be a positive number'):
        EvalHook(_loader(), interval=0)
    with pytest.raises(ValueError, match='smaller than 0'):
        EvalHook(_loader(), start=-1)
    with pytest.raises(AssertionError):
        EvalHook(_loader(), by_epoch=1)
    with pytest.raises(AssertionError):
        EvalHook(_loader(), save_best=True)
    with pytest.raises(KeyError, match='rule must be greater, less or None'):
        EvalHook(_loader(), save_best='acc', rule='bigger')
    with pytest.raises(ValueError, match='Cannot infer the rule for key unknown'):
        EvalHook(_loader(), save_best='unknown')


@pytest.mark.parametrize('key, rule', [
    ('acc', 'greater'), ('ACC', 'greater'), ('accuracy', 'greater'), ('accuracy_top-1', 'greater'),
    ('top', 'greater'), ('AR@100', 'greater'), ('bbox_mAP', 'greater'), ('mIoU', 'greater'),
    ('mDice', 'greater'), ('aAcc', 'greater'), ('auc', 'greater'), ('precision', 'greater'),
    ('loss', 'less'), ('LOSS', 'less'), ('loss_cls', 'less'),
    # greater keys are tried before less keys, so a key holding both infers 'greater'
    ('loss_acc', 'greater'),
])
def test_rule_inference(key, rule):
    hook = EvalHook(_loader(), save_best=key)
    assert hook.rule == rule and hook.key_indicator == key
    assert hook.compare_func(2, 1) is (rule == 'greater')


def test_rule_explicit_custom_keys_and_auto():
    assert EvalHook(_loader(), save_best='acc', rule='less').rule == 'less'
    assert EvalHook(_loader(), save_best='score', greater_keys='score').rule == 'greater'
    assert EvalHook(_loader(), save_best='mse', less_keys=['mse']).rule == 'less'
    # custom greater_keys replace the defaults: 'acc' is no longer known
    with pytest.raises(ValueError):
        EvalHook(_loader(), save_best='acc', greater_keys=['score'])
    hook = EvalHook(_loader(), save_best='auto')
    assert hook.rule is None and hook.key_indicator == 'auto'


def test_less_keys_as_str_is_fixed():
    """mmcv 1.7.2 asserts on ``greater_keys`` when ``less_keys`` is a str (so it never worked).

    FIXED here (a deliberate difference, MIGRATION.md): the str is wrapped into a tuple.
    """
    hook = EvalHook(_loader(), save_best='mse', less_keys='mse')
    assert hook.less_keys == ('mse', ) and hook.rule == 'less'


# ------------------------------------------------------------------------------- start / interval
@pytest.mark.parametrize('start, interval, resume_at, expected', [
    (None, 1, 0, [0, 1, 2, 3]),     # after every epoch
    (1, 1, 0, [0, 1, 2, 3]),        # start=1 is the first epoch: same as None
    (None, 2, 0, [1, 3]),           # every_n_epochs(2): after epochs 2 and 4
    (1, 2, 0, [0, 2]),              # after epochs 1 and 3
    (3, 1, 0, [2, 3]),              # from epoch 3 on
    (0, 1, 0, [0, 0, 1, 2, 3]),     # start=0: one extra evaluation before training
    (1, 1, 2, [2, 2, 3]),           # resumed at epoch 2 >= start: evaluate before continuing
    (3, 1, 1, [2, 3]),              # resumed before start: no extra evaluation
])
def test_start_interval_by_epoch(tmp_path, start, interval, resume_at, expected):
    assert _count_evals(tmp_path, True, start, interval, 4, resume_at) == expected


@pytest.mark.parametrize('start, interval, resume_at, expected', [
    (None, 2, 0, [1, 3, 5]),
    # mmcv quirk: the "before training" call goes through _should_evaluate with the current counter,
    # so with start=0 it only evaluates when interval divides (iter + 1 - start): here it does not
    (0, 2, 0, [1, 3, 5]),
    (0, 1, 0, [0, 0, 1, 2, 3, 4, 5]),
    (2, 3, 0, [1, 4]),
    (1, 1, 4, [4, 4, 5]),
])
def test_start_interval_by_iter(tmp_path, start, interval, resume_at, expected):
    assert _count_evals(tmp_path, False, start, interval, 6, resume_at) == expected


# ------------------------------------------------------------------------------------ save_best
def test_save_best_naming_and_removal(tmp_path):
    dataset = ScoreDataset(scores=[0.5, 0.7, 0.6, 0.8, 0.8], key='acc')
    runner = _runner(tmp_path, max_units=5, meta={})
    runner.register_hook(EvalHook(_loader(dataset), save_best='acc', metric='accuracy'))
    runner.run([_loader()], [('train', 1)])
    files = sorted(f for f in os.listdir(tmp_path) if f.startswith('best_'))
    assert files == ['best_acc_epoch_4.pth']  # epoch 5 ties: not better, nothing saved
    msgs = runner.meta['hook_msgs']
    assert msgs['best_score'] == 0.8
    assert msgs['best_ckpt'] == osp.join(str(tmp_path), 'best_acc_epoch_4.pth')
    assert dataset.calls == [dict(metric='accuracy')] * 5  # eval_kwargs reach dataset.evaluate
    ckpt = torch.load(osp.join(tmp_path, 'best_acc_epoch_4.pth'), weights_only=False)
    assert ckpt['meta']['epoch'] == 4
    assert not osp.exists(osp.join(tmp_path, 'latest.pth'))  # best ckpts never create the symlink


def test_save_best_less_rule_by_iter_and_out_dir(tmp_path):
    dataset = ScoreDataset(scores=[3.0, 2.0, 2.5], key='loss')
    work_dir = tmp_path / 'work'
    runner = _runner(work_dir, by_epoch=False, max_units=6, meta=dict(exp_name='x'))
    runner.register_hook(EvalHook(_loader(dataset), by_epoch=False, interval=2, save_best='auto',
                                  out_dir=str(tmp_path / 'out')))
    runner.run([_loader()], [('train', 1)])
    out_dir = tmp_path / 'out' / 'work'  # {out_dir}/{basename(work_dir)}
    assert sorted(os.listdir(out_dir)) == ['best_loss_iter_4.pth']
    assert runner.meta['hook_msgs']['best_score'] == 2.0
    assert runner.meta['exp_name'] == 'x'


def test_zero_score_skips_saving_and_meta_is_created(tmp_path):
    runner = _runner(tmp_path, max_units=2, meta=None)
    with pytest.warns(UserWarning, match='runner.meta is None'):
        runner.register_hook(EvalHook(_loader(ScoreDataset(scores=[0.0, 0.0])), save_best='acc'))
        runner.run([_loader()], [('train', 1)])
    assert runner.meta == {'hook_msgs': {}}  # mmcv parity: a score of 0 is falsy, never saved
    assert not [f for f in os.listdir(tmp_path) if f.startswith('best_')]


def test_empty_eval_result_warns(tmp_path):
    class Empty(ScoreDataset):
        def evaluate(self, results, logger=None, **kwargs):
            return {}

    runner = _runner(tmp_path, max_units=1, meta={})
    runner.register_hook(EvalHook(_loader(Empty()), save_best='acc'))
    with pytest.warns(UserWarning, match='empty dict'):
        runner.run([_loader()], [('train', 1)])


# ------------------------------------------------------------------------------------ log format
def _json_lines(work_dir, runner):
    with open(osp.join(work_dir, f'{runner.timestamp}.log.json')) as f:
        return [json.loads(line) for line in f]


def test_log_json_val_record_by_epoch(tmp_path):
    runner = _runner(tmp_path, max_units=2, meta=dict(exp_name='demo'))
    runner.register_hook(IterTimerHook(), priority='LOW')
    runner.register_hook(TextLoggerHook(interval=1), priority='VERY_LOW')
    eval_loader = _loader(ScoreDataset(n=6, scores=[0.25, 0.75]), batch_size=4)
    runner.register_hook(EvalHook(eval_loader, save_best='acc'), priority='LOW')
    runner.run([_loader()], [('train', 1)])
    lines = _json_lines(tmp_path, runner)
    assert lines[0]['exp_name'] == 'demo' and 'hook_msgs' in lines[0]  # meta comes first
    val = [r for r in lines[1:] if r['mode'] == 'val']
    train = [r for r in lines[1:] if r['mode'] == 'train']
    assert train and all('time' in r for r in train)
    assert val == [dict(mode='val', epoch=1, iter=2, lr=0.1, acc=0.25),
                   dict(mode='val', epoch=2, iter=2, lr=0.1, acc=0.75)]  # iter = len(eval loader)
    # record order: the val record follows the last train record of its epoch
    assert [r['mode'] for r in lines[1:]] == ['train', 'train', 'val', 'train', 'train', 'val']


def test_log_json_by_iter_flushes_train_log_first(tmp_path):
    runner = _runner(tmp_path, by_epoch=False, max_units=4, meta=dict(exp_name='demo'))
    runner.register_hook(IterTimerHook(), priority='LOW')
    runner.register_hook(TextLoggerHook(interval=2, by_epoch=False), priority='VERY_LOW')
    runner.register_hook(EvalHook(_loader(ScoreDataset(n=3)), by_epoch=False, interval=2), priority='LOW')
    runner.run([_loader()], [('train', 1)])
    records = _json_lines(tmp_path, runner)[1:]
    assert [(r['mode'], r['iter']) for r in records] == [('train', 2), ('val', 2), ('train', 4), ('val', 2)]
    for r in records:
        assert ('time' in r) is (r['mode'] == 'train')
        if r['mode'] == 'val':
            assert set(r) == {'mode', 'epoch', 'iter', 'lr', 'acc'}


# ------------------------------------------------------------------------------------ DistEvalHook
def test_dist_eval_hook_single_process(tmp_path):
    runner = _runner(tmp_path, max_units=2, meta={})
    dataset = ScoreDataset(n=5, scores=[0.5, 0.9])
    hook = DistEvalHook(_loader(dataset), save_best='acc', tmpdir=str(tmp_path / 'collect'))
    assert hook.broadcast_bn_buffer and not hook.gpu_collect
    runner.register_hook(hook)
    runner.run([_loader()], [('train', 1)])
    assert osp.exists(osp.join(tmp_path, 'best_acc_epoch_2.pth'))
    assert len(dataset.calls) == 2


def test_single_gpu_test_keeps_order():
    model = TinyModel()
    results = single_gpu_test(model, _loader(ScoreDataset(n=5), batch_size=2))
    expected = model.linear(torch.arange(5.0).unsqueeze(1)).detach().numpy()
    assert len(results) == 5
    assert [float(r[0]) for r in results] == pytest.approx(expected[:, 0].tolist())


def _dist_worker(rank: int, world_size: int, port: int, tmpdir: str, out: str) -> None:
    import torch.distributed as dist
    from torch.utils.data import DistributedSampler

    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        part = [f'r{rank}-{i}' for i in range(3)]
        # rank r holds samples r, r+2, r+4: the collected list interleaves them, truncated to 5
        via_files = collect_results_cpu(part, 5, None)
        via_dir = collect_results_cpu(part, 5, tmpdir)
        via_gather = collect_results_gpu(part, 5)
        dataset = ScoreDataset(n=5)
        loader = DataLoader(dataset, batch_size=2, sampler=DistributedSampler(dataset, shuffle=False))
        tested = multi_gpu_test(TinyModel(), loader, tmpdir=tmpdir)
        if rank == 0:
            torch.save(dict(files=via_files, dir=via_dir, gather=via_gather, tested=len(tested),
                            dir_removed=not osp.exists(tmpdir)), out)
        else:
            assert via_files is None and via_gather is None and tested is None
        dist.barrier()  # both ranks are done before gloo tears down (a rank leaving early can abort it)
    finally:
        dist.destroy_process_group()


@pytest.mark.dist  # tier: see tests/conftest.py
def test_collect_results_two_processes_gloo(tmp_path):
    out = str(tmp_path / 'out.pt')
    spawn_with_retry(_dist_worker, lambda attempt: (2, free_port(), str(tmp_path / f'collect{attempt}'), out))
    got = torch.load(out)
    expected = ['r0-0', 'r1-0', 'r0-1', 'r1-1', 'r0-2']
    assert got['files'] == expected and got['dir'] == expected and got['gather'] == expected
    assert got['tested'] == 5 and got['dir_removed']
