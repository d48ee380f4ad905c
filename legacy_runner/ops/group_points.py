"""mmcv.ops.group_points: point grouping (point clouds). Only a compiled kernel exists in mmcv; here
the names import and raise NotImplementedError (naming the op) when called or constructed."""
from ._unsupported import unsupported_class, unsupported_function

GroupAll = unsupported_class('GroupAll')
QueryAndGroup = unsupported_class('QueryAndGroup')
grouping_operation = unsupported_function('grouping_operation')

__all__ = ['GroupAll', 'QueryAndGroup', 'grouping_operation']
