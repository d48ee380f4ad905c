"""The runner contracts of legacy_runner.protocols match the real runners: a v1 runner and a v2 runner,
seen from inside a hook during training, have every member the contracts name, with the values the
runner reports; the v2 training loops expose the counters of TrainLoopLike."""
import logging

import torch
from torch import nn
from v2_helpers import PointDataset, TwoLinear

from compat.v2 import Hook as V2Hook
from compat.v2 import Runner
from legacy_runner.hooks import Hook
from legacy_runner.protocols import RunnerLike, TrainLoopLike, V1RunnerLike, V2RunnerLike
from legacy_runner.runner import EpochBasedRunner, IterBasedRunner

LOGGER = logging.getLogger('test_protocols')


class StepModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def train_step(self, data, optimizer, **kwargs):
        return dict(loss=self.fc(data).sum(), log_vars=dict(loss=1.0), num_samples=len(data))


class V1Probe(Hook):
    def __init__(self) -> None:
        self.seen = []

    def after_train_iter(self, runner: V1RunnerLike) -> None:
        self.seen.append((isinstance(runner, V1RunnerLike), isinstance(runner, RunnerLike),
                          isinstance(runner, V2RunnerLike), runner.epoch, runner.iter, runner.inner_iter,
                          runner.max_epochs, runner.max_iters))


def _v1_run(cls, **kw):
    model = StepModel()
    runner = cls(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), logger=LOGGER, **kw)
    probe = V1Probe()
    runner.register_hook(probe)
    loader = [torch.ones(2, 4) for _ in range(2)]
    runner.run([loader], [('train', 1)])
    return probe.seen


def test_v1_epoch_runner_satisfies_the_v1_contract():
    seen = _v1_run(EpochBasedRunner, max_epochs=2)
    # (V1RunnerLike, RunnerLike, V2RunnerLike, epoch, iter, inner_iter, max_epochs, max_iters)
    assert seen == [(True, True, False, 0, 0, 0, 2, 4), (True, True, False, 0, 1, 1, 2, 4),
                    (True, True, False, 1, 2, 0, 2, 4), (True, True, False, 1, 3, 1, 2, 4)]


def test_v1_iter_runner_satisfies_the_v1_contract():
    seen = _v1_run(IterBasedRunner, max_iters=3)
    assert [s[:3] for s in seen] == [(True, True, False)] * 3
    assert [s[4] for s in seen] == [0, 1, 2] and all(s[7] == 3 for s in seen)


class V2Probe(V2Hook):
    def __init__(self) -> None:
        self.seen = []

    def after_train_iter(self, runner: V2RunnerLike, batch_idx, data_batch=None, outputs=None) -> None:
        loop = runner.train_loop
        self.seen.append((isinstance(runner, V2RunnerLike), isinstance(runner, RunnerLike),
                          isinstance(runner, V1RunnerLike), isinstance(loop, TrainLoopLike),
                          (runner.epoch, runner.iter, runner.max_epochs, runner.max_iters),
                          (loop.epoch, loop.iter, loop.max_epochs, loop.max_iters)))


def test_v2_runner_and_train_loop_satisfy_the_v2_contract(tmp_path):
    probe = V2Probe()
    runner = Runner(model=TwoLinear(), work_dir=str(tmp_path),
                    train_dataloader=dict(dataset=PointDataset(2), batch_size=1,
                                          sampler=dict(type='DefaultSampler', shuffle=False)),
                    train_cfg=dict(by_epoch=True, max_epochs=2),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                    log_level='WARNING', randomness=dict(seed=0), custom_hooks=[probe],
                    default_hooks=dict(checkpoint=None))
    runner.train()
    assert [s[:4] for s in probe.seen] == [(True, True, False, True)] * 4
    # the runner's counters are the loop's public ones (the hook runs before the iter counter moves)
    assert [s[4] for s in probe.seen] == [(0, 0, 2, 4), (0, 1, 2, 4), (1, 2, 2, 4), (1, 3, 2, 4)]
    assert all(s[4] == s[5] for s in probe.seen)


def test_an_object_missing_members_is_not_a_runner():
    class Partial:
        epoch = iter = 0

    assert not isinstance(Partial(), RunnerLike) and not isinstance(Partial(), TrainLoopLike)
