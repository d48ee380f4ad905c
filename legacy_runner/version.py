__version__ = '0.1.0'
# What `mmcv.__version__` reports through the shim and what checkpoints record as mmcv_version.
mmcv_compat_version = '1.7.2'
