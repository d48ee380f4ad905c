"""v1 (mmcv 1.x) -> v2 (mmengine-style) config converter.

``convert_dict`` runs the rules (``rules/``, one pure function per v1 section) on a merged v1
config and returns the v2 dict with one report entry per v1 key; ``verify`` compares the v1 and
v2 schedules numerically; ``tree`` converts directories keeping ``_base_``; ``cli.main`` is the
``convert-config`` command. Nothing here imports torch.
"""
from .context import Context, Options
from .engine import ConversionResult, convert_dict
from .errors import ConversionError
from .report import Entry

__all__ = ['Context', 'Options', 'ConversionResult', 'convert_dict', 'ConversionError', 'Entry']
