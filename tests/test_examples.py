"""The embedded example (toy dataset + MLP) and the builders of legacy_runner.builder."""
import logging
from unittest import mock

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler

from legacy_runner import builder
from legacy_runner.builder import (
    DATASETS,
    MODELS,
    PIPELINES,
    ConcatDataset,
    RepeatDataset,
    build_dataloader,
    build_dataset,
    build_model,
)
from legacy_runner.examples import MLPClassifier, ToyClsDataset, make_blobs
from legacy_runner.fp16_utils import wrap_fp16_model


def test_registered():
    assert MODELS.get('MLPClassifier') is MLPClassifier
    assert DATASETS.get('ToyClsDataset') is ToyClsDataset
    assert DATASETS.get('ConcatDataset') is ConcatDataset and DATASETS.get('RepeatDataset') is RepeatDataset
    assert PIPELINES.get('RandomNoise') is not None and PIPELINES.get('Normalize') is not None
    assert MODELS.scope == 'legacy_runner'


def test_make_blobs_is_seeded_and_not_linearly_separable():
    x, y = make_blobs(600, num_classes=4, num_features=8, seed=3, split='train')
    x2, y2 = make_blobs(600, num_classes=4, num_features=8, seed=3, split='train')
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (600, 8)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    xv, _ = make_blobs(600, seed=3, split='val')
    assert not np.allclose(x, xv)
    assert set(np.unique(y)) == {0, 1, 2, 3}
    # the best linear (least-squares) classifier stays far from the MLP's ~97%
    feats = np.c_[x, np.ones(len(x))]
    w = np.linalg.lstsq(feats, np.eye(4)[y], rcond=None)[0]
    assert ((feats @ w).argmax(1) == y).mean() < 0.6
    with pytest.raises(ValueError):
        make_blobs(10, num_classes=5, num_features=4)
    with pytest.raises(KeyError):
        make_blobs(10, split='holdout')


def test_dataset_item_and_pipeline():
    ds = ToyClsDataset(num_samples=16, pipeline=[dict(type='Normalize', mean=1.0, std=2.0)])
    item = ds[3]
    assert set(item) == {'img', 'gt_label'}
    assert item['img'].dtype == torch.float32 and item['img'].shape == (8, )
    assert item['gt_label'].dtype == torch.long and item['gt_label'].dim() == 0
    np.testing.assert_allclose(item['img'].numpy(), (ds.data[3] - 1.0) / 2.0, rtol=1e-6)
    assert len(ds) == 16 and ds.CLASSES == ('class_0', 'class_1', 'class_2', 'class_3')
    assert ToyClsDataset(8, num_classes=2, classes=['cat', 'dog']).CLASSES == ('cat', 'dog')
    with pytest.raises(ValueError):
        ToyClsDataset(8, classes=['only_one'])

    noisy = ToyClsDataset(num_samples=4, pipeline=[dict(type='RandomNoise', std=1.0)])
    np.random.seed(0)
    first = noisy[0]['img']
    np.random.seed(0)
    assert torch.equal(first, noisy[0]['img'])  # the noise follows np.random's seed
    assert not torch.allclose(first, torch.from_numpy(noisy.data[0]))


def test_dataset_evaluate():
    ds = ToyClsDataset(num_samples=40)
    perfect = [np.eye(4)[label] for label in ds.gt_labels]
    assert ds.evaluate(perfect) == {'accuracy': 1.0}
    labels = [int(label) for label in ds.gt_labels]
    labels[0] = (labels[0] + 1) % 4
    res = ds.evaluate(labels, metric=['accuracy', 'precision', 'recall', 'f1_score'], logger=None)
    assert res['accuracy'] == pytest.approx(39 / 40)
    assert set(res) == {'accuracy', 'precision', 'recall', 'f1_score'}
    assert all(0.9 < v <= 1.0 for v in res.values())
    with pytest.raises(KeyError, match='not supported'):
        ds.evaluate(perfect, metric='mAP')
    with pytest.raises(ValueError):
        ds.evaluate(perfect[:-1])


def test_build_dataset_and_wrappers():
    cfg = dict(type='ToyClsDataset', num_samples=10, split='val')
    ds = build_dataset(cfg, default_args=dict(test_mode=True))
    assert isinstance(ds, ToyClsDataset) and ds.test_mode and ds.split == 'val'
    assert cfg == dict(type='ToyClsDataset', num_samples=10, split='val')  # not mutated

    rep = build_dataset(dict(type='RepeatDataset', times=3, dataset=cfg))
    assert isinstance(rep, RepeatDataset) and len(rep) == 30 and rep.CLASSES == ds.CLASSES
    assert torch.equal(rep[12]['img'], ds[2]['img'])

    cat = build_dataset([cfg, dict(cfg, num_samples=6, split='test')])
    assert isinstance(cat, ConcatDataset) and len(cat) == 16 and cat.get_dataset_index(11) == 1
    results = [np.eye(4)[label] for label in cat.datasets[0].gt_labels] + [0] * 6
    res = cat.evaluate(results)
    assert res['0_accuracy'] == 1.0 and res['1_accuracy'] == pytest.approx(
        float(np.mean(cat.datasets[1].gt_labels == 0)))
    same = build_dataset(dict(type='ConcatDataset', datasets=[cfg, cfg]))
    assert len(same) == 20


def test_build_dataloader_non_distributed():
    ds = ToyClsDataset(num_samples=20)
    loader = build_dataloader(ds, samples_per_gpu=4, workers_per_gpu=0, num_gpus=2, shuffle=False,
                              persistent_workers=True, runner_type='EpochBasedRunner')
    assert loader.batch_size == 8 and loader.num_workers == 0 and loader.sampler.__class__.__name__ == \
        'SequentialSampler'
    batch = next(iter(loader))
    assert batch['img'].shape == (8, 8) and batch['gt_label'].shape == (8, )


def test_build_dataloader_seeded_workers_are_reproducible():
    ds = ToyClsDataset(num_samples=8, pipeline=[dict(type='RandomNoise', std=1.0)])

    def first_batch():
        loader = build_dataloader(ds, samples_per_gpu=4, workers_per_gpu=1, shuffle=False, seed=7)
        return next(iter(loader))['img']

    assert torch.equal(first_batch(), first_batch())


def test_build_dataloader_distributed_sampler():
    ds = ToyClsDataset(num_samples=10)
    with mock.patch.object(builder, 'get_dist_info', return_value=(1, 2)):
        loader = build_dataloader(ds, samples_per_gpu=3, workers_per_gpu=0, dist=True, seed=5)
    sampler = loader.sampler
    assert isinstance(sampler, DistributedSampler)
    assert (sampler.rank, sampler.num_replicas, sampler.seed, sampler.shuffle) == (1, 2, 5, True)
    assert loader.batch_size == 3 and len(list(sampler)) == 5


def test_mlp_contract():
    model = build_model(dict(type='MLPClassifier', hidden_channels=(16, ), num_classes=4))
    assert isinstance(model, MLPClassifier)
    batch = dict(img=torch.randn(6, 8), gt_label=torch.tensor([0, 1, 2, 3, 0, 1]))
    out = model.train_step(batch, None)
    assert set(out) == {'loss', 'log_vars', 'num_samples'} and out['num_samples'] == 6
    assert list(out['log_vars']) == ['loss', 'acc'] and out['loss'].requires_grad
    assert all(isinstance(v, float) for v in out['log_vars'].values())
    assert model.val_step(batch)['num_samples'] == 6
    scores = model(return_loss=False, **batch)
    assert len(scores) == 6 and all(s.shape == (4, ) for s in scores)
    np.testing.assert_allclose([s.sum() for s in scores], 1.0, rtol=1e-5)
    with pytest.raises(ValueError):
        model(batch['img'])


def test_mlp_fp16_runs_bf16_on_cpu():
    model = MLPClassifier(hidden_channels=(16, ))
    wrap_fp16_model(model)
    assert model.fp16_enabled
    batch = dict(img=torch.randn(4, 8), gt_label=torch.tensor([0, 1, 2, 3]))
    logits = model._logits(batch['img'])
    assert logits.dtype == torch.float32  # auto_fp16(out_fp32=True)
    model.train_step(batch)['loss'].backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in model.parameters())


def test_example_trains_with_epoch_runner(tmp_path):
    from legacy_runner.engine import single_gpu_test
    from legacy_runner.hooks.optimizer import OptimizerHook
    from legacy_runner.runner.epoch_based_runner import EpochBasedRunner

    torch.manual_seed(0)
    np.random.seed(0)
    model = MLPClassifier()
    train = build_dataloader(ToyClsDataset(1024, split='train'), 32, 0, seed=0)
    val_set = ToyClsDataset(256, split='val')
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    runner = EpochBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path),
                              logger=logging.getLogger('test_examples'), max_epochs=3)
    runner.register_hook(OptimizerHook())
    runner.run([train], [('train', 1)])
    results = single_gpu_test(model, build_dataloader(val_set, 128, 0, shuffle=False))
    assert val_set.evaluate(results)['accuracy'] > 0.9
