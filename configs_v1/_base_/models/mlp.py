# A small MLP classifier for the embedded toy dataset (8 features, 4 classes).
model = dict(
    type='MLPClassifier',
    in_channels=8,
    hidden_channels=(64, 64),
    num_classes=4,
    loss_weight=1.0)
