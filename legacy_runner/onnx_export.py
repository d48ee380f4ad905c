"""``mmcv.onnx`` and ``mmcv.tensorrt``: model export helpers that legacy_runner does not provide.

Every name imports, so old code that imports them at module level keeps working; using one raises
one clear error. The questions these modules answer (are mmcv's custom ONNX ops / TensorRT plugins
loaded?) are answered truthfully: no.
"""
import importlib.util
from functools import wraps
from sys import maxsize
from typing import Any, Callable

import torch
from torch._C import ListType

_EXPORT_MESSAGE = ('{name} is part of mmcv\'s ONNX/TensorRT export, which legacy_runner does not provide: '
                   'export with torch.onnx.export directly (or use mmdeploy)')


def _export_only(name: str) -> Callable:
    def use(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_EXPORT_MESSAGE.format(name=name))
    use.__name__ = use.__qualname__ = name
    use.__doc__ = f'mmcv export helper {name}: raises NotImplementedError (not provided here).'
    return use


def is_custom_op_loaded() -> bool:
    """False: mmcv's compiled ONNX Runtime custom ops are not available."""
    return False


def is_tensorrt_available() -> bool:
    return importlib.util.find_spec('tensorrt') is not None


def is_tensorrt_plugin_loaded() -> bool:
    """False: mmcv's compiled TensorRT plugins are not available."""
    return False


def parse_args(*arg_descriptors: str) -> Callable:
    """Decorator of ONNX symbolic functions; the decorated function raises the export error."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError(_EXPORT_MESSAGE.format(name=fn.__name__))
        return wrapper

    return decorator


# torch scalar type name -> ONNX data type, as the export helpers map them
_P = torch._C._onnx.TensorProtoDataType
cast_pytorch_to_onnx = {
    'Byte': _P.UINT8, 'Char': _P.INT8, 'Double': _P.DOUBLE, 'Float': _P.FLOAT, 'Half': _P.FLOAT16,
    'Int': _P.INT32, 'Long': _P.INT64, 'Short': _P.INT16, 'Bool': _P.BOOL, 'ComplexFloat': _P.COMPLEX64,
    'ComplexDouble': _P.COMPLEX128, 'Undefined': _P.UNDEFINED,
}

_SYMBOLICS = (
    'adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_avg_pool3d', 'avg_pool1d', 'avg_pool2d',
    'avg_pool3d', 'constant_pad_nd', 'cummax', 'cummin', 'grid_sampler', 'im2col', 'masked_select',
    'new_full', 'one_hot', 'reflection_pad', 'reflection_pad1d', 'reflection_pad2d', 'reflection_pad3d',
    'roll', 'size', 'softmax', 'topk', 'upsample_bicubic2d', 'upsample_bilinear2d', 'upsample_linear1d',
    'upsample_nearest1d', 'upsample_nearest2d', 'upsample_nearest3d', 'upsample_trilinear3d',
    'register_extra_symbolics',
    # mmcv.tensorrt
    'onnx2trt', 'save_trt_engine', 'load_trt_engine', 'TRTWrapper', 'TRTWraper', 'preprocess_onnx',
    'load_tensorrt_plugin', 'get_tensorrt_op_path', 'get_onnxruntime_op_path')
for _name in _SYMBOLICS:
    globals()[_name] = _export_only(_name)
register_custom_op_symbolic = torch.onnx.register_custom_op_symbolic

__all__ = ['ListType', 'cast_pytorch_to_onnx', 'is_custom_op_loaded', 'is_tensorrt_available',
           'is_tensorrt_plugin_loaded', 'maxsize', 'parse_args', 'register_custom_op_symbolic', 'wraps',
           *_SYMBOLICS]
