# AdamW with cosine annealing per epoch; 8 epochs.
optimizer = dict(type='AdamW', lr=0.01, weight_decay=0.01)
optimizer_config = dict(grad_clip=dict(max_norm=10.0))
lr_config = dict(policy='CosineAnnealing', min_lr_ratio=0.01)
runner = dict(type='EpochBasedRunner', max_epochs=8)
