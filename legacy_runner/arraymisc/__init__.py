"""mmcv 1.x ``mmcv.arraymisc``: array quantisation."""
from .quantization import dequantize, quantize

__all__ = ['quantize', 'dequantize']
