"""``mmcv.engine`` (shim): the default test functions of EvalHook / DistEvalHook."""
from legacy_runner.engine import collect_results_cpu, collect_results_gpu, multi_gpu_test, single_gpu_test

__all__ = ['collect_results_cpu', 'collect_results_gpu', 'multi_gpu_test', 'single_gpu_test']
