"""``mmcv.utils.logging`` (shim)."""
from legacy_runner.utils.logging import get_logger, logger_initialized, print_log

__all__ = ['get_logger', 'logger_initialized', 'print_log']
