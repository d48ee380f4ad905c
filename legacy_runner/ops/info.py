"""Build information of mmcv.ops. Nothing here is compiled, and the answers say so."""

_NOT_COMPILED = 'n/a (legacy_runner.ops: pure PyTorch, no compiled extension)'


def get_compiler_version() -> str:
    """The compiler that built the ops extension: none."""
    return _NOT_COMPILED


def get_compiling_cuda_version() -> str:
    """The CUDA toolkit the ops extension was built with: none (torch's own CUDA, if any, runs
    the ops; see ``torch.version.cuda``)."""
    return _NOT_COMPILED


def get_onnxruntime_op_path() -> str:
    """Path of the onnxruntime custom-op library: '' (none built), as mmcv answers without it."""
    return ''


__all__ = ['get_compiler_version', 'get_compiling_cuda_version', 'get_onnxruntime_op_path']
