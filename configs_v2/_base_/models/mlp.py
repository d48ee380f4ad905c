# Generated from _base_/models/mlp.py by convert-config (mmcv 1.x -> mmengine-style v2).
model = dict(
    type='MLPClassifier',
    in_channels=8,
    hidden_channels=(64, 64),
    num_classes=4,
    loss_weight=1.0)
