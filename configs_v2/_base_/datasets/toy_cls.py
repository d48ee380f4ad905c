# Generated from _base_/datasets/toy_cls.py by convert-config (mmcv 1.x -> mmengine-style v2).
dataset_type = 'ToyClsDataset'
data_seed = 0
train_pipeline = [dict(type='RandomNoise', std=0.1, prob=0.5)]
test_pipeline = []
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='LegacyOrderSampler', shuffle=True),
    dataset=dict(
        type='ToyClsDataset',
        num_samples=2048,
        seed=0,
        split='train',
        pipeline=[dict(type='RandomNoise', std=0.1, prob=0.5)]))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ToyClsDataset',
        num_samples=512,
        seed=0,
        split='val',
        pipeline=[],
        test_mode=True))
test_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ToyClsDataset',
        num_samples=512,
        seed=0,
        split='test',
        pipeline=[],
        test_mode=True))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
val_evaluator = dict(type='V1DatasetMetric', metric='accuracy')
test_evaluator = dict(type='V1DatasetMetric', metric='accuracy')
