"""Bridges: v1 model / hook / dataset.evaluate in the v2 runtime, a v2 model on the
legacy runners, the registry links, LegacyOrderSampler and MultiOptimWrapperConstructor."""
import logging

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

import compat.adapter  # noqa: F401
from compat.adapter import LegacyOrderSampler, V1DatasetMetric, V1HookAdapter, V2ModelOnLegacy
from compat.adapter.hooks import V1RunnerShim
from compat.v2.data import pseudo_collate
from compat.v2.optim import OptimWrapper, OptimWrapperDict
from compat.v2.registry import DATASETS as V2_DATASETS
from compat.v2.registry import MODELS as V2_MODELS
from compat.v2.registry import OPTIM_WRAPPER_CONSTRUCTORS
from legacy_runner.builder import MODELS as V1_MODELS
from legacy_runner.examples import ToyClsDataset
from legacy_runner.hooks.hook import Hook as V1Hook
from legacy_runner.parallel import collate
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner


def test_v1_model_found_and_adapted_by_the_v2_builder():
    torch.manual_seed(0)
    v1 = V1_MODELS.build(dict(type='MLPClassifier'))
    torch.manual_seed(0)
    bridged = V2_MODELS.build(dict(type='MLPClassifier'))
    assert isinstance(bridged, type(v1)) and bridged._v1_adapted
    assert list(bridged.state_dict()) == list(v1.state_dict())  # checkpoints stay interchangeable
    assert V2_DATASETS.get('RepeatDataset') is not None  # legacy-only dataset wrappers resolve too

    ds = ToyClsDataset(num_samples=8)
    samples = [ds[i] for i in range(8)]
    opt_v1 = torch.optim.SGD(v1.parameters(), lr=0.1)
    out = v1.train_step(collate(samples, samples_per_gpu=8), opt_v1)
    opt_v1.zero_grad()
    out['loss'].backward()
    opt_v1.step()
    wrapper = OptimWrapper(torch.optim.SGD(bridged.parameters(), lr=0.1))
    log_vars = bridged.train_step(pseudo_collate(samples), optim_wrapper=wrapper)
    assert set(log_vars) == set(out['log_vars']) and all(torch.is_tensor(v) for v in log_vars.values())
    for a, b in zip(v1.parameters(), bridged.parameters()):
        assert torch.equal(a, b)
    preds = bridged.val_step(pseudo_collate(samples))
    assert len(preds) == 8 and preds[0].shape == (4, )
    # called the v1 way it is still the v1 model
    assert set(bridged.train_step(collate(samples, samples_per_gpu=8), opt_v1)) == {
        'loss', 'log_vars', 'num_samples'}


def test_v1_dataset_metric():
    ds = ToyClsDataset(num_samples=8, split='val')
    metric = V1DatasetMetric(metric=['accuracy'])
    metric.process({}, [torch.nn.functional.one_hot(torch.tensor(y), 4).numpy() for y in ds.gt_labels])
    with pytest.raises(RuntimeError, match='no dataset'):
        metric.compute_metrics(metric.results)
    metric.dataset = ds
    assert metric.evaluate(8) == {'accuracy': 1.0}  # no key prefix


class _Rec(V1Hook):
    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner):
        self.seen.append((runner.epoch, runner.iter, runner.inner_iter, runner.outputs['num_samples'],
                          runner.mode, runner.current_lr()))
        runner.meta['note'] = runner.iter


class _FakeRunner:
    epoch, iter, max_epochs, max_iters, work_dir = 1, 7, 2, 12, '/w'
    train_loop = None
    hooks = []

    def __init__(self):
        self.optim_wrapper = OptimWrapper(torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.5))


def test_v1_hook_adapter_stages_and_shim():
    hook = V1HookAdapter(_Rec(), priority='LOW')
    assert hook.get_triggered_stages() == ['after_load_checkpoint', 'after_train_iter',
                                           'before_save_checkpoint']
    runner = _FakeRunner()
    hook.after_train_iter(runner, batch_idx=3, data_batch=dict(img=[0, 1, 2]), outputs=dict(loss=1.0))
    assert hook.hook.seen == [(1, 7, 3, 3, 'train', [0.5])]
    checkpoint = dict(meta=dict(epoch=2))
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta'] == dict(epoch=2, seed=None, exp_name=None, note=7)
    shim = V1RunnerShim(runner)
    assert (shim.max_epochs, shim._max_iters, shim.work_dir, shim.optimizer) == (
        2, 12, '/w', runner.optim_wrapper.optimizer)
    v1_cfg = V1HookAdapter(dict(type='EmptyCacheHook'))
    assert v1_cfg.priority == 'NORMAL' and 'before_train' not in v1_cfg.get_triggered_stages()


def test_v2_model_trains_on_the_legacy_runner(tmp_path):
    model = V1_MODELS.build(dict(type='ToyMLPClassifier'))  # a v2 BaseModel, via the registry link
    assert isinstance(model, V2ModelOnLegacy)
    assert list(model.state_dict()) == list(model.model.state_dict())
    loader = DataLoader(ToyClsDataset(num_samples=64), batch_size=16, shuffle=True,
                        collate_fn=lambda b: collate(b, samples_per_gpu=16))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    runner = EpochBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path),
                              logger=logging.getLogger('adapter_bridges'), max_epochs=2)
    runner.register_training_hooks(None, dict(grad_clip=None))
    before = [p.detach().clone() for p in model.parameters()]
    runner.run([loader], [('train', 1)])
    assert runner.iter == 8 and any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert runner.outputs['num_samples'] == 16 and 'loss' in runner.outputs['log_vars']


def test_legacy_order_sampler_matches_torch_random_sampler():
    data = list(range(37))
    torch.manual_seed(3)
    expected = [list(RandomSampler(data)) for _ in range(2)]
    torch.manual_seed(3)
    sampler = LegacyOrderSampler(data, seed=123)  # seed only matters when distributed
    assert [list(sampler) for _ in range(2)] == expected
    assert list(LegacyOrderSampler(data, shuffle=False)) == data and len(sampler) == 37


def test_multi_optim_wrapper_constructor():
    class GAN(nn.Module):
        def __init__(self):
            super().__init__()
            self.gen, self.disc = nn.Linear(2, 2), nn.Linear(2, 1)

    cfg = dict(gen=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
               disc=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01)))
    model = GAN()
    wrappers = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='MultiOptimWrapperConstructor',
                                                     optim_wrapper_cfg=cfg))(model)
    assert isinstance(wrappers, OptimWrapperDict)
    assert wrappers['gen'].optimizer.param_groups[0]['params'] == list(model.gen.parameters())
    assert isinstance(wrappers['disc'].optimizer, torch.optim.Adam)


def test_v1_model_under_v2_ddp_matches_the_plain_route(tmp_path):
    """v2's MMDistributedDataParallel does not call ``module.train_step`` (conversion rules: v1 models
    on v2); the bridge's
    ``data_preprocessor``/``forward(mode='loss')``/``parse_losses`` give the same step (1-process gloo)."""
    import torch.distributed as dist

    from compat.v2.model import MMDistributedDataParallel
    ds = ToyClsDataset(num_samples=8)
    batch = pseudo_collate([ds[i] for i in range(8)])
    torch.manual_seed(0)
    plain = V2_MODELS.build(dict(type='MLPClassifier'))
    torch.manual_seed(0)
    inner = V2_MODELS.build(dict(type='MLPClassifier'))
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/rdzv', rank=0, world_size=1)
    try:
        ddp = MMDistributedDataParallel(module=inner)
        out_ddp = ddp.train_step(batch, optim_wrapper=OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=0.1)))
        out = plain.train_step(batch, optim_wrapper=OptimWrapper(torch.optim.SGD(plain.parameters(), lr=0.1)))
        dist.barrier()
    finally:
        dist.destroy_process_group()
    assert set(out_ddp) == set(out) and torch.equal(out_ddp['loss'], out['loss'])
    for a, b in zip(plain.parameters(), inner.parameters()):
        assert torch.equal(a, b)
    assert len(inner(**inner.data_preprocessor(batch), mode='predict')) == 8
