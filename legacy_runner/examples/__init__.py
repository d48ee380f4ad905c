"""The embedded example: a seeded toy classification dataset and an MLP classifier.

Importing this package registers ``ToyClsDataset`` (DATASETS), its transforms (PIPELINES) and
``MLPClassifier`` (MODELS) in the registries of ``legacy_runner.builder``.
"""
from .mlp import MLPClassifier
from .toy_dataset import Compose, Normalize, RandomNoise, ToyClsDataset, make_blobs

__all__ = ['Compose', 'MLPClassifier', 'Normalize', 'RandomNoise', 'ToyClsDataset', 'make_blobs']
