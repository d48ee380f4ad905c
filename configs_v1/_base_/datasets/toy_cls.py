# The embedded toy classification data: generated in-process from `seed`, nothing is downloaded.
# Every class is two Gaussian blobs on opposite sides of the origin (not linearly separable).
dataset_type = 'ToyClsDataset'
data_seed = 0
train_pipeline = [dict(type='RandomNoise', std=0.1, prob=0.5)]
test_pipeline = []
data = dict(
    samples_per_gpu=32,
    workers_per_gpu=0,
    train=dict(
        type=dataset_type, num_samples=2048, seed=data_seed, split='train',
        pipeline=train_pipeline),
    val=dict(
        type=dataset_type, num_samples=512, seed=data_seed, split='val',
        pipeline=test_pipeline, test_mode=True),
    test=dict(
        type=dataset_type, num_samples=512, seed=data_seed, split='test',
        pipeline=test_pipeline, test_mode=True),
    val_dataloader=dict(samples_per_gpu=256),
    test_dataloader=dict(samples_per_gpu=256))
evaluation = dict(interval=1, metric='accuracy')
