"""Where each mmcv 1.x module's names come from when ``import mmcv`` is served by legacy_runner.

``MODULES``: mmcv module -> the modules its names are taken from, in lookup order (an ``mmcv.*``
source is itself served through this table). ``NAMES``: single names that live elsewhere
('module:attr', or 'module' for a module object). ``IMPORTED``: names an mmcv module only has
because it imported them from the standard library / torch / yaml ...; they resolve to the very
objects ``COMMON`` names. ``EXPORTS``: ``__all__`` of the mmcv packages whose sources export more
(or less) than mmcv's ``__all__``; elsewhere ``__all__`` is the union of the sources' ``__all__``.
Nothing here is imported before it is asked for (``import mmcv`` stays free of torch and cv2).
"""
from typing import Dict, Tuple

LR = 'legacy_runner'
GLUE = 'compat.mmcv_glue'

MODULES: Dict[str, Tuple[str, ...]] = {
    'mmcv': ('mmcv.utils', 'mmcv.fileio', 'mmcv.version', 'mmcv.arraymisc', 'mmcv.image', 'mmcv.video',
             'mmcv.visualization'),
    'mmcv.version': (f'{GLUE}.version',),
    # ---- image / video / visualization / arraymisc (helper "image")
    'mmcv.arraymisc': (f'{LR}.arraymisc',),
    'mmcv.arraymisc.quantization': (f'{LR}.arraymisc.quantization',),
    'mmcv.image': (f'{LR}.image',),
    'mmcv.image.colorspace': (f'{LR}.image.colorspace',),
    'mmcv.image.geometric': (f'{LR}.image.geometric',),
    'mmcv.image.io': (f'{LR}.image.io',),
    'mmcv.image.misc': (f'{LR}.image.misc',),
    'mmcv.image.photometric': (f'{LR}.image.photometric',),
    'mmcv.video': (f'{LR}.video',),
    'mmcv.video.io': (f'{LR}.video.io',),
    'mmcv.video.optflow': (f'{LR}.video.optflow',),
    'mmcv.video.processing': (f'{LR}.video.processing',),
    'mmcv.visualization': (f'{LR}.visualization',),
    'mmcv.visualization.color': (f'{LR}.visualization.color',),
    'mmcv.visualization.image': (f'{LR}.visualization.image',),
    'mmcv.visualization.optflow': (f'{LR}.visualization.optflow',),
    # ---- cnn (helper "bricks"; builder is the shim's glue)
    'mmcv.cnn': (f'{LR}.cnn',),
    'mmcv.cnn.alexnet': (f'{LR}.cnn.alexnet',),
    'mmcv.cnn.resnet': (f'{LR}.cnn.resnet',),
    'mmcv.cnn.vgg': (f'{LR}.cnn.vgg',),
    'mmcv.cnn.builder': (f'{GLUE}.registry', f'{LR}.builder'),
    'mmcv.cnn.bricks': (f'{LR}.cnn.bricks',),
    **{f'mmcv.cnn.bricks.{m}': (f'{LR}.cnn.bricks.{m}',) for m in (
        'activation', 'context_block', 'conv', 'conv2d_adaptive_padding', 'conv_module', 'conv_ws',
        'depthwise_separable_conv_module', 'drop', 'generalized_attention', 'hsigmoid', 'hswish',
        'non_local', 'norm', 'padding', 'plugin', 'registry', 'scale', 'swish', 'transformer',
        'upsample', 'wrappers')},
    'mmcv.cnn.rfsearch': (f'{LR}.cnn.rfsearch',),
    'mmcv.cnn.rfsearch.operator': (f'{LR}.cnn.rfsearch.operator',),
    'mmcv.cnn.rfsearch.search': (f'{LR}.cnn.rfsearch.search',),
    'mmcv.cnn.rfsearch.utils': (f'{LR}.cnn.rfsearch.utils',),
    'mmcv.cnn.utils': (f'{LR}.cnn.utils',),
    'mmcv.cnn.utils.flops_counter': (f'{LR}.cnn.utils.flops_counter',),
    'mmcv.cnn.utils.fuse_conv_bn': (f'{LR}.cnn.utils.fuse_conv_bn',),
    'mmcv.cnn.utils.sync_bn': (f'{LR}.cnn.utils.sync_bn',),
    'mmcv.cnn.utils.weight_init': (f'{LR}.cnn.weight_init',),
    # ---- ops (helper "ops"); compiled in mmcv, pure PyTorch here
    'mmcv.ops': (f'{LR}.ops',),
    **{f'mmcv.ops.{m}': (f'{LR}.ops.{m}',) for m in (
        'active_rotated_filter', 'assign_score_withk', 'ball_query', 'bbox', 'border_align',
        'box_iou_quadri', 'box_iou_rotated', 'carafe', 'cc_attention', 'chamfer_distance',
        'contour_expand', 'convex_iou', 'corner_pool', 'correlation', 'deform_conv', 'deform_roi_pool',
        'deprecated_wrappers', 'diff_iou_rotated', 'focal_loss', 'furthest_point_sample',
        'fused_bias_leakyrelu', 'gather_points', 'group_points', 'info', 'iou3d', 'knn', 'masked_conv',
        'merge_cells', 'min_area_polygons', 'modulated_deform_conv', 'multi_scale_deform_attn', 'nms',
        'pixel_group', 'point_sample', 'points_in_boxes', 'points_in_polygons', 'points_sampler',
        'prroi_pool', 'psa_mask', 'riroi_align_rotated', 'roi_align', 'roi_align_rotated', 'roi_pool',
        'roiaware_pool3d', 'roipoint_pool3d', 'rotated_feature_align', 'saconv', 'scatter_points',
        'sparse_conv', 'sparse_functional', 'sparse_modules', 'sparse_ops', 'sparse_pool',
        'sparse_structure', 'sync_bn', 'three_interpolate', 'three_nn', 'tin_shift', 'upfirdn2d',
        'voxelize')},
    # ---- utils
    'mmcv.utils': ('mmcv.utils.config', 'mmcv.utils.misc', 'mmcv.utils.path', 'mmcv.utils.progressbar',
                   'mmcv.utils.timer', 'mmcv.utils.logging', 'mmcv.utils.registry', 'mmcv.utils.env',
                   'mmcv.utils.version_utils', 'mmcv.utils.testing', 'mmcv.utils.device_type',
                   'mmcv.utils.parrots_jit', 'mmcv.utils.trace', 'mmcv.utils.hub', 'mmcv.utils.seed',
                   'mmcv.utils.torch_ops', 'mmcv.utils.parrots_wrapper'),
    'mmcv.utils.config': (f'{LR}.config', f'{LR}.config.config', f'{LR}.config.loader', f'{LR}.utils.misc'),
    'mmcv.utils.device_type': (f'{LR}.utils.device_type',),
    'mmcv.utils.env': (f'{LR}.utils.env',),
    'mmcv.utils.ext_loader': (f'{LR}.utils.ext_loader',),
    'mmcv.utils.hub': (f'{LR}.utils.misc',),
    'mmcv.utils.logging': (f'{LR}.utils.logging',),
    'mmcv.utils.misc': (f'{LR}.utils.misc', f'{LR}.utils.helpers'),
    'mmcv.utils.parrots_jit': (f'{LR}.utils.parrots_jit',),
    'mmcv.utils.parrots_wrapper': (f'{LR}.utils.parrots_wrapper',),
    'mmcv.utils.path': (f'{LR}.utils.misc', f'{LR}.utils.helpers'),
    'mmcv.utils.progressbar': (f'{LR}.utils.progressbar',),
    'mmcv.utils.registry': (f'{GLUE}.registry', f'{LR}.utils.helpers'),
    'mmcv.utils.seed': (f'{LR}.seed',),
    'mmcv.utils.testing': (f'{LR}.utils.testing',),
    'mmcv.utils.timer': (f'{LR}.utils.timer',),
    'mmcv.utils.torch_ops': (f'{LR}.utils.torch_ops',),
    'mmcv.utils.trace': (f'{LR}.utils.trace',),
    'mmcv.utils.version_utils': (f'{LR}.utils.misc',),
    # ---- fileio
    'mmcv.fileio': (f'{LR}.utils.fileio', f'{LR}.utils.file_client', f'{LR}.utils.file_handlers'),
    'mmcv.fileio.file_client': (f'{LR}.utils.file_client', f'{LR}.utils.helpers'),
    'mmcv.fileio.handlers': (f'{LR}.utils.file_handlers',),
    'mmcv.fileio.handlers.base': (f'{LR}.utils.file_handlers',),
    'mmcv.fileio.handlers.json_handler': (f'{LR}.utils.file_handlers',),
    'mmcv.fileio.handlers.pickle_handler': (f'{LR}.utils.file_handlers',),
    'mmcv.fileio.handlers.yaml_handler': (f'{LR}.utils.file_handlers',),
    'mmcv.fileio.io': (f'{LR}.utils.fileio', f'{LR}.utils.file_handlers', f'{LR}.utils.file_client'),
    'mmcv.fileio.parse': (f'{LR}.utils.file_client',),
    # ---- runner
    'mmcv.runner': (f'{LR}.runner', f'{LR}.utils.helpers'),
    'mmcv.runner.base_module': (f'{LR}.base_module', f'{LR}.utils.logging', f'{LR}.dist'),
    'mmcv.runner.base_runner': (f'{LR}.runner.base_runner', f'{LR}.runner.priority', f'{LR}.hooks.hook',
                                f'{LR}.checkpoint', f'{LR}.dist', f'{LR}.parallel'),
    'mmcv.runner.builder': (f'{LR}.runner.builder',),
    'mmcv.runner.checkpoint': (f'{GLUE}.checkpoint', f'{LR}.checkpoint', f'{LR}.dist', f'{LR}.parallel'),
    'mmcv.runner.default_constructor': (f'{LR}.runner.builder',),
    'mmcv.runner.dist_utils': (f'{LR}.dist',),
    'mmcv.runner.epoch_based_runner': (f'{LR}.runner.epoch_based_runner', f'{LR}.runner.base_runner',
                                       f'{LR}.runner.builder', f'{LR}.checkpoint', f'{LR}.dist'),
    'mmcv.runner.fp16_utils': (f'{LR}.fp16_utils', f'{LR}.dist'),
    'mmcv.runner.hooks': (f'{LR}.hooks',),
    'mmcv.runner.hooks.checkpoint': (f'{LR}.hooks.checkpoint', f'{LR}.hooks.hook', f'{LR}.dist',
                                     f'{LR}.utils.file_client'),
    'mmcv.runner.hooks.closure': (f'{LR}.hooks.closure', f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.ema': (f'{LR}.hooks.ema', f'{LR}.hooks.hook', f'{LR}.parallel'),
    'mmcv.runner.hooks.evaluation': (f'{LR}.hooks.evaluation', f'{LR}.hooks.hook', f'{LR}.hooks.logger',
                                     f'{LR}.utils.file_client', f'{LR}.utils.misc'),
    'mmcv.runner.hooks.hook': (f'{LR}.hooks.hook', f'{LR}.utils.misc'),
    'mmcv.runner.hooks.iter_timer': (f'{LR}.hooks.iter_timer', f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.logger': (f'{LR}.hooks.logger',),
    **{f'mmcv.runner.hooks.logger.{m}': (f'{LR}.hooks.logger.{m}', f'{LR}.hooks.logger.base',
                                         f'{LR}.hooks.hook', f'{LR}.dist', f'{LR}.utils.misc') for m in (
        'base', 'clearml', 'dvclive', 'mlflow', 'neptune', 'pavi', 'segmind', 'tensorboard', 'text',
        'wandb')},
    'mmcv.runner.hooks.lr_updater': (f'{LR}.hooks.lr_updater', f'{LR}.schedules.common', f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.memory': (f'{LR}.hooks.memory', f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.momentum_updater': (f'{LR}.hooks.momentum_updater', f'{LR}.schedules.common',
                                           f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.optimizer': (f'{LR}.hooks.optimizer', f'{LR}.hooks.hook', f'{LR}.fp16_utils',
                                    f'{LR}.dist'),
    'mmcv.runner.hooks.profiler': (f'{LR}.hooks.profiler', f'{LR}.hooks.hook', f'{LR}.dist'),
    'mmcv.runner.hooks.sampler_seed': (f'{LR}.hooks.sampler_seed', f'{LR}.hooks.hook'),
    'mmcv.runner.hooks.sync_buffer': (f'{LR}.hooks.sync_buffer', f'{LR}.hooks.hook', f'{LR}.dist'),
    'mmcv.runner.iter_based_runner': (f'{LR}.runner.iter_based_runner', f'{LR}.runner.iter_loader',
                                      f'{LR}.runner.base_runner', f'{LR}.runner.builder', f'{LR}.hooks',
                                      f'{LR}.checkpoint', f'{LR}.dist'),
    'mmcv.runner.log_buffer': (f'{LR}.runner.log_buffer',),
    'mmcv.runner.optimizer': (f'{LR}.optim_builder',),
    'mmcv.runner.optimizer.builder': (f'{LR}.optim_builder',),
    'mmcv.runner.optimizer.default_constructor': (f'{LR}.optim_builder', f'{LR}.utils.misc'),
    'mmcv.runner.priority': (f'{LR}.runner.priority',),
    'mmcv.runner.utils': (f'{LR}.dist', f'{LR}.seed', f'{LR}.utils.helpers'),
    # ---- parallel / engine
    'mmcv.parallel': (f'{LR}.parallel',),
    'mmcv.parallel._functions': (f'{LR}.parallel_functions',),
    'mmcv.parallel.collate': (f'{LR}.parallel',),
    'mmcv.parallel.data_container': (f'{LR}.parallel', f'{LR}.parallel_functions'),
    'mmcv.parallel.data_parallel': (f'{LR}.parallel', f'{LR}.parallel_functions'),
    'mmcv.parallel.distributed': (f'{LR}.parallel', f'{LR}.parallel_functions', f'{LR}.utils.logging'),
    'mmcv.parallel.distributed_deprecated': (f'{LR}.parallel_functions', f'{LR}.parallel'),
    'mmcv.parallel.registry': (f'{LR}.parallel',),
    'mmcv.parallel.scatter_gather': (f'{LR}.parallel', f'{LR}.parallel_functions'),
    'mmcv.parallel.utils': (f'{LR}.parallel',),
    'mmcv.engine': (f'{LR}.engine',),
    'mmcv.engine.test': (f'{LR}.engine', f'{LR}.dist'),
    # ---- device: only CPU/CUDA/MPS run here; the other accelerators raise one clear error on use
    'mmcv.device': (f'{LR}.device',),
    'mmcv.device._functions': (f'{LR}.device._functions',),
    'mmcv.device.scatter_gather': (f'{LR}.device.scatter_gather',),
    'mmcv.device.utils': (f'{LR}.device.utils',),
    'mmcv.device.ipu': (f'{LR}.device.ipu',),
    'mmcv.device.mlu': (f'{LR}.device.mlu',),
    'mmcv.device.mlu._functions': (f'{LR}.device._functions',),
    'mmcv.device.mlu.data_parallel': (f'{LR}.device.mlu',),
    'mmcv.device.mlu.distributed': (f'{LR}.device.mlu',),
    'mmcv.device.mlu.scatter_gather': (f'{LR}.device.scatter_gather',),
    'mmcv.device.mps': (f'{LR}.device.mps',),
    'mmcv.device.mps.data_parallel': (f'{LR}.device.mps',),
    'mmcv.device.npu': (f'{LR}.device.npu',),
    'mmcv.device.npu.data_parallel': (f'{LR}.device.npu',),
    'mmcv.device.npu.distributed': (f'{LR}.device.npu',),
    # ---- export helpers: import fine, one clear error on use
    'mmcv.onnx': (f'{LR}.onnx_export',),
    'mmcv.onnx.info': (f'{LR}.onnx_export',),
    'mmcv.onnx.symbolic': (f'{LR}.onnx_export',),
    'mmcv.onnx.onnx_utils': (f'{LR}.onnx_export',),
    'mmcv.onnx.onnx_utils.symbolic_helper': (f'{LR}.onnx_export',),
    'mmcv.tensorrt': (f'{LR}.onnx_export',),
}

_TORCH_VERSION = f'{LR}.utils.parrots_wrapper:TORCH_VERSION'
_DEVICE = f'{LR}.utils.device_type'
NAMES: Dict[str, Dict[str, str]] = {
    'mmcv.cnn': {'MODELS': f'{LR}.builder:MODELS',
                 'build_model_from_cfg': f'{GLUE}.registry:build_model_from_cfg'},
    'mmcv.utils.config': {'Dict': f'{LR}.config:ConfigDict', 'BASE_KEY': f'{LR}.config.loader:BASE_KEY',
                          'DELETE_KEY': f'{LR}.config.merge:DELETE_KEY',
                          'DEPRECATION_KEY': f'{LR}.config.loader:DEPRECATION_KEY'},
    'mmcv.utils.device_type': {},
    'mmcv.parallel.collate': {'Sequence': 'collections.abc:Sequence', 'Mapping': 'collections.abc:Mapping'},
    'mmcv.utils.progressbar': {'Iterable': 'collections.abc:Iterable'},
    'mmcv.utils.testing': {'Iterable': 'collections.abc:Iterable'},
    'mmcv.runner.hooks.lr_updater': {'runner': 'mmcv.runner'},
    'mmcv.runner.hooks.logger.pavi': {'scatter': f'{LR}.parallel:scatter'},
    'mmcv.cnn.builder': {'Sequential': f'{LR}.base_module:Sequential'},
    # torch >= 1.7: mmcv re-exports torch's own load_url
    'mmcv.utils.hub': {'load_url': 'torch.utils.model_zoo:load_url'},
    'mmcv.runner.checkpoint': {'load_url': 'torch.utils.model_zoo:load_url'},
    'mmcv.onnx.symbolic': {'sym_help': 'mmcv.onnx.onnx_utils.symbolic_helper'},
    'mmcv.parallel.registry': {'Registry': f'{GLUE}.registry:Registry'},
    'mmcv.runner.builder': {'Registry': f'{GLUE}.registry:Registry'},
    'mmcv.runner.hooks.hook': {'Registry': f'{GLUE}.registry:Registry'},
    'mmcv.runner.optimizer.builder': {'Registry': f'{GLUE}.registry:Registry'},
}

# where the names mmcv modules imported from elsewhere come from (resolved only when asked for)
COMMON: Dict[str, str] = {
    'mmcv': 'mmcv', 'TORCH_VERSION': _TORCH_VERSION,
    **{f'IS_{d}_AVAILABLE': f'{_DEVICE}:IS_{d}_AVAILABLE' for d in ('IPU', 'MLU', 'MPS', 'NPU')},
    'IS_CUDA_AVAILABLE': f'{LR}.utils.parrots_wrapper:IS_CUDA_AVAILABLE',
    **{n: f'typing:{n}' for n in (
        'Any', 'Callable', 'Dict', 'Generator', 'Iterable', 'Iterator', 'List', 'Optional', 'Sequence',
        'TextIO', 'Tuple', 'Type', 'Union', 'no_type_check')},
    'ABCMeta': 'abc:ABCMeta', 'abstractmethod': 'abc:abstractmethod', 'Action': 'argparse:Action',
    'ArgumentParser': 'argparse:ArgumentParser', 'BytesIO': 'io:BytesIO', 'StringIO': 'io:StringIO',
    'Enum': 'enum:Enum', 'FileHandler': 'logging:FileHandler', 'Mapping': 'collections.abc:Mapping',
    'ModuleType': 'types:ModuleType', 'OrderedDict': 'collections:OrderedDict',
    'defaultdict': 'collections:defaultdict', 'namedtuple': 'collections:namedtuple', 'Path': 'pathlib:Path',
    'Pool': 'multiprocessing:Pool', 'TemporaryDirectory': 'tempfile:TemporaryDirectory',
    'chain': 'itertools:chain', 'repeat': 'itertools:repeat', 'contextmanager': 'contextlib:contextmanager',
    'cos': 'math:cos', 'pi': 'math:pi', 'inf': 'math:inf', 'get_terminal_size': 'shutil:get_terminal_size',
    'getfullargspec': 'inspect:getfullargspec', 'gethostname': 'socket:gethostname',
    'getuser': 'getpass:getuser', 'import_module': 'importlib:import_module', 'maxsize': 'sys:maxsize',
    'partial': 'functools:partial', 'wraps': 'functools:wraps', 'patch': 'unittest.mock:patch',
    'run_path': 'runpy:run_path', 'split': 'shlex:split', 'time': 'time:time',
    'urlopen': 'urllib.request:urlopen', 'parse': 'packaging.version:parse',
    'FormatCode': 'yapf.yapflib.yapf_api:FormatCode',
    'Loader': f'{LR}.utils.file_handlers:Loader', 'Dumper': f'{LR}.utils.file_handlers:Dumper',
    # mmcv's own helpers that its modules import from one another
    'digit_version': f'{LR}.utils.misc:digit_version', 'FileClient': f'{LR}.utils.file_client:FileClient',
    'is_list_of': f'{LR}.utils.misc:is_list_of', 'is_seq_of': f'{LR}.utils.misc:is_seq_of',
    'is_module_wrapper': f'{LR}.parallel:is_module_wrapper', 'Timer': f'{LR}.utils.timer:Timer',
    'get_build_config': f'{LR}.utils.parrots_wrapper:get_build_config',
    'check_ops_exist': f'{LR}.utils.ext_loader:check_ops_exist',
    # torch (imported on first use only)
    'DataLoader': 'torch.utils.data:DataLoader', 'Optimizer': 'torch.optim:Optimizer',
    'Tensor': 'torch:Tensor', 'Parameter': 'torch.nn:Parameter', 'autocast': 'torch.cuda.amp:autocast',
    'GradScaler': 'torch.cuda.amp:GradScaler', 'DataParallel': 'torch.nn.parallel:DataParallel',
    'DistributedDataParallel': 'torch.nn.parallel:DistributedDataParallel',
    'GroupNorm': 'torch.nn:GroupNorm', 'LayerNorm': 'torch.nn:LayerNorm',
    'OrigScatter': 'torch.nn.parallel._functions:Scatter', 'ListType': 'torch._C:ListType',
    **{n: f'torch.utils.cpp_extension:{n}' for n in ('BuildExtension', 'CUDAExtension', 'CppExtension')},
}
IMPORTED: Dict[str, str] = {
    # cnn / image / video (their implementations are other modules; the imported names are the table's)
    'mmcv.arraymisc.quantization': 'Union',
    'mmcv.cnn.alexnet': 'Optional',
    'mmcv.cnn.bricks.activation': 'Dict TORCH_VERSION digit_version',
    'mmcv.cnn.bricks.context_block': 'Union',
    'mmcv.cnn.bricks.conv': 'Dict Optional',
    'mmcv.cnn.bricks.conv2d_adaptive_padding': 'Tuple Union',
    'mmcv.cnn.bricks.conv_module': 'Dict Optional Tuple Union',
    'mmcv.cnn.bricks.conv_ws': 'Dict List Optional OrderedDict Tuple Union',
    'mmcv.cnn.bricks.depthwise_separable_conv_module': 'Dict Optional Tuple Union',
    'mmcv.cnn.bricks.drop': 'Any Dict Optional',
    'mmcv.cnn.bricks.hswish': 'TORCH_VERSION digit_version',
    'mmcv.cnn.bricks.non_local': 'ABCMeta Dict Optional',
    'mmcv.cnn.bricks.norm': 'Dict Tuple Union',
    'mmcv.cnn.bricks.padding': 'Dict',
    'mmcv.cnn.bricks.plugin': 'Dict Tuple Union',
    'mmcv.cnn.bricks.transformer': 'Sequence',
    'mmcv.cnn.bricks.upsample': 'Dict',
    'mmcv.cnn.bricks.wrappers': 'TORCH_VERSION',
    'mmcv.cnn.resnet': 'Optional Sequence Tensor Tuple Union',
    'mmcv.cnn.rfsearch.operator': 'Tensor',
    'mmcv.cnn.rfsearch.search': 'Dict Optional mmcv',
    'mmcv.cnn.rfsearch.utils': 'mmcv',
    'mmcv.cnn.utils.flops_counter': 'Any Callable Dict Optional TextIO Tuple mmcv partial',
    'mmcv.cnn.utils.sync_bn': 'mmcv',
    'mmcv.cnn.utils.weight_init': 'Dict List Optional Tensor Union',
    'mmcv.cnn.vgg': 'List Optional Sequence Tensor Tuple Union',
    'mmcv.image.colorspace': 'Callable Union',
    'mmcv.image.geometric': 'List Optional Tuple Union no_type_check',
    'mmcv.image.io': 'FileClient Optional Path Union',
    'mmcv.image.misc': 'Optional mmcv',
    'mmcv.image.photometric': 'Optional',
    'mmcv.video.io': 'OrderedDict',
    'mmcv.video.optflow': 'Tuple Union',
    'mmcv.video.processing': 'List Optional Union',
    'mmcv.visualization.color': 'Enum Union',
    'mmcv.visualization.image': 'List Optional Union',
    'mmcv.visualization.optflow': 'Optional Union',
    # the shim's own rows
    'mmcv.device._functions': 'List Union',
    'mmcv.device.mlu._functions': 'List Union',
    'mmcv.device.utils': 'IS_CUDA_AVAILABLE IS_MLU_AVAILABLE IS_MPS_AVAILABLE IS_NPU_AVAILABLE',
    'mmcv.engine.test': 'DataLoader Optional mmcv',
    'mmcv.fileio.file_client': (
        'ABCMeta Any Generator Iterator Optional Path Tuple Union abstractmethod contextmanager '
        'mmcv urlopen'),
    'mmcv.fileio.handlers.base': 'ABCMeta abstractmethod',
    'mmcv.fileio.handlers.yaml_handler': 'Dumper Loader',
    'mmcv.fileio.io': 'Any BytesIO Callable Dict List Optional Path StringIO TextIO Union is_list_of',
    'mmcv.fileio.parse': 'Dict List Optional Path StringIO Union',
    'mmcv.onnx.onnx_utils.symbolic_helper': 'ListType maxsize wraps',
    'mmcv.parallel._functions': 'List Optional Tensor Union',
    'mmcv.parallel.data_container': 'Callable Type Union',
    'mmcv.parallel.data_parallel': 'DataParallel List Tuple chain',
    'mmcv.parallel.distributed': 'Any DistributedDataParallel List TORCH_VERSION Tuple digit_version',
    'mmcv.parallel.distributed_deprecated': 'List Sequence TORCH_VERSION Tuple digit_version',
    'mmcv.parallel.registry': 'DataParallel DistributedDataParallel',
    'mmcv.parallel.scatter_gather': 'List OrigScatter Tensor Tuple Union',
    'mmcv.runner.base_module': 'ABCMeta FileHandler Iterable Optional defaultdict',
    'mmcv.runner.base_runner': (
        'ABCMeta Any Callable DataLoader Dict List Optimizer Optional OrderedDict Tuple Union '
        'abstractmethod mmcv no_type_check'),
    'mmcv.runner.builder': 'Optional',
    'mmcv.runner.checkpoint': (
        'Callable Dict List Optimizer Optional OrderedDict TemporaryDirectory Tuple Union '
        'import_module mmcv FileClient digit_version'),
    'mmcv.runner.default_constructor': 'Optional',
    'mmcv.runner.dist_utils': 'Callable IS_MLU_AVAILABLE IS_NPU_AVAILABLE List Optional OrderedDict Tuple',
    'mmcv.runner.epoch_based_runner': 'Any DataLoader Dict List Optional Tuple mmcv',
    'mmcv.runner.fp16_utils': (
        'Callable IS_NPU_AVAILABLE Iterable List Optional Parameter TORCH_VERSION autocast '
        'getfullargspec digit_version'),
    'mmcv.runner.hooks.checkpoint': 'Optional',
    'mmcv.runner.hooks.closure': 'Callable',
    'mmcv.runner.hooks.ema': 'Optional',
    'mmcv.runner.hooks.evaluation': 'Callable DataLoader List Optional inf',
    'mmcv.runner.hooks.logger.base': 'ABCMeta Dict abstractmethod',
    'mmcv.runner.hooks.logger.clearml': 'Dict Optional',
    'mmcv.runner.hooks.logger.dvclive': 'Optional Path',
    'mmcv.runner.hooks.logger.mlflow': 'Dict Optional TORCH_VERSION',
    'mmcv.runner.hooks.logger.neptune': 'Dict Optional',
    'mmcv.runner.hooks.logger.pavi': 'Dict Optional mmcv partial is_module_wrapper',
    'mmcv.runner.hooks.logger.tensorboard': 'Optional TORCH_VERSION',
    'mmcv.runner.hooks.logger.text': 'Dict Optional OrderedDict Union mmcv FileClient',
    'mmcv.runner.hooks.logger.wandb': 'Dict Optional Union',
    'mmcv.runner.hooks.lr_updater': 'Callable List Optional Union cos mmcv pi',
    'mmcv.runner.hooks.momentum_updater': 'Callable Dict List Optional Tuple Union mmcv',
    'mmcv.runner.hooks.optimizer': ('GradScaler IS_NPU_AVAILABLE Optional TORCH_VERSION Tensor Union '
                                    'chain defaultdict digit_version'),
    'mmcv.runner.hooks.profiler': 'Callable List Optional Union',
    'mmcv.runner.iter_based_runner': ('Callable DataLoader Dict List Optimizer Optional Tuple Union mmcv '
                                      'no_type_check'),
    'mmcv.runner.log_buffer': 'OrderedDict',
    'mmcv.runner.optimizer.builder': 'Dict IS_NPU_AVAILABLE List',
    'mmcv.runner.optimizer.default_constructor': ('Dict GroupNorm LayerNorm List Optional Union '
                                                  'check_ops_exist'),
    'mmcv.runner.priority': 'Enum Union',
    'mmcv.runner.utils': 'ModuleType Optional gethostname getuser mmcv',
    'mmcv.utils.config': 'Action ArgumentParser FormatCode Path import_module',
    'mmcv.utils.device_type': 'IS_IPU_AVAILABLE IS_MLU_AVAILABLE IS_MPS_AVAILABLE IS_NPU_AVAILABLE',
    'mmcv.utils.env': 'defaultdict mmcv get_build_config',
    'mmcv.utils.ext_loader': 'namedtuple',
    'mmcv.utils.hub': 'TORCH_VERSION',
    'mmcv.utils.misc': 'getfullargspec import_module repeat',
    'mmcv.utils.parrots_jit': 'TORCH_VERSION',
    'mmcv.utils.parrots_wrapper': (
        'BuildExtension CUDAExtension CppExtension DataLoader IS_CUDA_AVAILABLE TORCH_VERSION '
        'partial'),
    'mmcv.utils.path': 'Path',
    'mmcv.utils.progressbar': 'Pool get_terminal_size Timer',
    'mmcv.utils.registry': 'Any Dict Optional partial is_seq_of',
    'mmcv.utils.testing': 'Any Dict List patch run_path split',
    'mmcv.utils.timer': 'time',
    'mmcv.utils.torch_ops': 'TORCH_VERSION digit_version',
    'mmcv.utils.version_utils': 'parse',
    'mmcv.utils.trace': 'digit_version',
}

# mmcv's own __all__ of the packages whose sources export a different set
EXPORTS: Dict[str, str] = {
    'mmcv.utils': (
        'BuildExtension CUDAExtension Config ConfigDict CppExtension DataLoader DictAction '
        'IS_CUDA_AVAILABLE IS_IPU_AVAILABLE IS_MLU_AVAILABLE IS_MPS_AVAILABLE IS_NPU_AVAILABLE '
        'PoolDataLoader ProgressBar Registry SyncBatchNorm TORCH_VERSION Timer TimerError '
        '_AdaptiveAvgPoolNd _AdaptiveMaxPoolNd _AvgPoolNd _BatchNorm _ConvNd _ConvTransposeMixin '
        '_InstanceNorm _MaxPoolNd _get_cuda_home assert_attrs_equal assert_dict_contains_subset '
        'assert_dict_has_keys assert_is_norm_layer assert_keys_equal assert_params_all_zeros '
        'build_from_cfg check_file_exist check_prerequisites check_python_script check_time '
        'collect_env concat_list deprecated_api_warning digit_version fopen get_build_config '
        'get_git_hash get_logger has_method import_modules_from_strings is_filepath is_jit_tracing '
        'is_list_of is_method_overridden is_rocm_pytorch is_seq_of is_str is_tuple_of iter_cast jit '
        'list_cast load_url mkdir_or_exist print_log requires_executable requires_package scandir '
        'skip_no_elena slice_list symlink torch_meshgrid track_iter_progress '
        'track_parallel_progress track_progress tuple_cast worker_init_fn'),
    'mmcv.fileio': (
        'BaseFileHandler BaseStorageBackend FileClient JsonHandler PickleHandler YamlHandler '
        'dict_from_file dump list_from_file load register_handler'),
    'mmcv.fileio.handlers': 'BaseFileHandler JsonHandler PickleHandler YamlHandler',
    'mmcv.parallel': (
        'DataContainer MMDataParallel MMDistributedDataParallel MODULE_WRAPPERS collate '
        'is_module_wrapper scatter scatter_kwargs'),
    'mmcv.engine': 'collect_results_cpu collect_results_gpu multi_gpu_test single_gpu_test',
    'mmcv.device': 'get_device ipu mlu mps npu scatter scatter_kwargs',
    'mmcv.device.mlu': 'MLUDataParallel MLUDistributedDataParallel',
    'mmcv.device.npu': 'NPUDataParallel NPUDistributedDataParallel',
    'mmcv.device.mps': 'MPSDataParallel',
    'mmcv.runner': (
        'BaseModule BaseRunner CheckpointHook CheckpointLoader ClearMLLoggerHook ClosureHook '
        'CosineAnnealingLrUpdaterHook CosineAnnealingMomentumUpdaterHook CosineRestartLrUpdaterHook '
        'CyclicLrUpdaterHook CyclicMomentumUpdaterHook DefaultOptimizerConstructor '
        'DefaultRunnerConstructor DistEvalHook DistSamplerSeedHook DvcliveLoggerHook EMAHook '
        'EpochBasedRunner EvalHook ExpLrUpdaterHook FixedLrUpdaterHook '
        'FlatCosineAnnealingLrUpdaterHook Fp16OptimizerHook GradientCumulativeFp16OptimizerHook '
        'GradientCumulativeOptimizerHook HOOKS Hook InvLrUpdaterHook IterBasedRunner IterLoader '
        'IterTimerHook LinearAnnealingLrUpdaterHook LinearAnnealingMomentumUpdaterHook LogBuffer '
        'LoggerHook LossScaler LrUpdaterHook MlflowLoggerHook ModuleDict ModuleList '
        'MomentumUpdaterHook NeptuneLoggerHook OPTIMIZERS OPTIMIZER_BUILDERS OneCycleLrUpdaterHook '
        'OneCycleMomentumUpdaterHook OptimizerHook PaviLoggerHook PolyLrUpdaterHook Priority '
        'RUNNERS Runner SegmindLoggerHook Sequential StepLrUpdaterHook StepMomentumUpdaterHook '
        'SyncBuffersHook TensorboardLoggerHook TextLoggerHook WandbLoggerHook _load_checkpoint '
        '_load_checkpoint_with_prefix allreduce_grads allreduce_params auto_fp16 build_optimizer '
        'build_optimizer_constructor build_runner force_fp32 get_dist_info get_host_info '
        'get_priority get_time_str init_dist load_checkpoint load_state_dict master_only '
        'obj_from_dict save_checkpoint set_random_seed weights_to_cpu wrap_fp16_model'),
    'mmcv.runner.hooks': (
        'CheckpointHook ClearMLLoggerHook ClosureHook CosineAnnealingLrUpdaterHook '
        'CosineAnnealingMomentumUpdaterHook CosineRestartLrUpdaterHook CyclicLrUpdaterHook '
        'CyclicMomentumUpdaterHook DistEvalHook DistSamplerSeedHook DvcliveLoggerHook EMAHook '
        'EmptyCacheHook EvalHook ExpLrUpdaterHook FixedLrUpdaterHook '
        'FlatCosineAnnealingLrUpdaterHook Fp16OptimizerHook GradientCumulativeFp16OptimizerHook '
        'GradientCumulativeOptimizerHook HOOKS Hook InvLrUpdaterHook IterTimerHook '
        'LinearAnnealingLrUpdaterHook LinearAnnealingMomentumUpdaterHook LoggerHook LrUpdaterHook '
        'MlflowLoggerHook MomentumUpdaterHook NeptuneLoggerHook OneCycleLrUpdaterHook '
        'OneCycleMomentumUpdaterHook OptimizerHook PaviLoggerHook PolyLrUpdaterHook ProfilerHook '
        'SegmindLoggerHook StepLrUpdaterHook StepMomentumUpdaterHook SyncBuffersHook '
        'TensorboardLoggerHook TextLoggerHook WandbLoggerHook'),
    'mmcv.runner.optimizer': (
        'DefaultOptimizerConstructor OPTIMIZERS OPTIMIZER_BUILDERS build_optimizer '
        'build_optimizer_constructor'),
    'mmcv.onnx': 'is_custom_op_loaded register_extra_symbolics',
    'mmcv.tensorrt': ('is_tensorrt_available is_tensorrt_plugin_loaded load_tensorrt_plugin preprocess_onnx '
                      'onnx2trt save_trt_engine load_trt_engine TRTWraper TRTWrapper'),
    'mmcv.version': '__version__ parse_version_info version_info',
}
