# SGD, step decay at epochs 5 and 7 after a 32-iteration linear warmup; 8 epochs.
optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=None)
lr_config = dict(
    policy='step',
    warmup='linear',
    warmup_iters=32,
    warmup_ratio=0.1,
    step=[5, 7])
runner = dict(type='EpochBasedRunner', max_epochs=8)
