"""Optimizer wrappers and their constructor (mmengine.optim names)."""
from .builder import DefaultOptimWrapperConstructor, build_optim_wrapper
from .wrapper import AmpOptimWrapper, BaseOptimWrapper, OptimWrapper, OptimWrapperDict

__all__ = ['AmpOptimWrapper', 'BaseOptimWrapper', 'DefaultOptimWrapperConstructor', 'OptimWrapper',
           'OptimWrapperDict', 'build_optim_wrapper']
