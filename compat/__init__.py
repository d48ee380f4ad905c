"""compat: migration from the mmcv 1.x format to the mmengine-style (v2) format."""
