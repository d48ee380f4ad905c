"""Assertion helpers of ``mmcv.utils.testing`` (used by the test suites of old codebases).

They return a bool (the caller asserts it), as mmcv's do. torch is imported only by the helpers
that look at modules.
"""
import sys
from collections.abc import Iterable
from runpy import run_path
from shlex import split
from typing import Any, Dict, List
from unittest.mock import patch


def check_python_script(cmd: str) -> None:
    """Run a python script in this process as ``python script.py args`` would (``__main__``)."""
    args = split(cmd)
    if args[0] == 'python':
        args = args[1:]
    with patch.object(sys, 'argv', args):
        run_path(args[0], run_name='__main__')


def _any(judge_result: Any) -> bool:
    """``any`` that also looks inside arrays/tensors whose truth value is ambiguous."""
    try:
        if judge_result:
            return True
    except Exception:  # e.g. "the truth value of an array with more than one element is ambiguous"
        pass
    if isinstance(judge_result, Iterable):
        for element in judge_result:
            if _any(element):
                return True
    return False


def assert_dict_contains_subset(dict_obj: Dict[Any, Any], expected_subset: Dict[Any, Any]) -> bool:
    """True if every key of ``expected_subset`` is in ``dict_obj`` with an equal value."""
    for key, value in expected_subset.items():
        if key not in dict_obj.keys() or _any(dict_obj[key] != value):
            return False
    return True


def assert_attrs_equal(obj: Any, expected_attrs: Dict[str, Any]) -> bool:
    """True if ``obj`` has every attribute of ``expected_attrs`` with an equal value."""
    for attr, value in expected_attrs.items():
        if not hasattr(obj, attr) or _any(getattr(obj, attr) != value):
            return False
    return True


def assert_dict_has_keys(obj: Dict[str, Any], expected_keys: List[str]) -> bool:
    return set(expected_keys).issubset(set(obj.keys()))


def assert_keys_equal(result_keys: List[str], target_keys: List[str]) -> bool:
    return set(result_keys) == set(target_keys)


def assert_is_norm_layer(module: Any) -> bool:
    """True for batch/instance/group/layer norm layers."""
    from torch.nn import GroupNorm, LayerNorm
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.instancenorm import _InstanceNorm
    return isinstance(module, (_BatchNorm, _InstanceNorm, GroupNorm, LayerNorm))


def assert_params_all_zeros(module: Any) -> bool:
    """True if the module's weight (and bias, when it has one) are all zeros."""
    import torch
    weight_zero = torch.allclose(module.weight.data, torch.zeros_like(module.weight.data))
    bias = getattr(module, 'bias', None)
    bias_zero = bias is None or torch.allclose(bias.data, torch.zeros_like(bias.data))
    return bool(weight_zero and bias_zero)


__all__ = ['assert_attrs_equal', 'assert_dict_contains_subset', 'assert_dict_has_keys',
           'assert_is_norm_layer', 'assert_keys_equal', 'assert_params_all_zeros', 'check_python_script']
