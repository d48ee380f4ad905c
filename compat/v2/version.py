"""The mmengine release whose behaviour this runtime reproduces (written as ``mmengine_version``)."""
mmengine_version = '0.10.7'
