"""The few pieces of ``mmcv`` that exist only for the import shim (see ``compat.mmcv_table``):
registry linking, model-zoo lookups and the reported mmcv version."""
