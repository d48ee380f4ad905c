"""The whole recorded mmcv 1.7.2 surface under the shim, in fresh processes with no real mmcv.

The manifest (tests/data/mmcv_surface/manifest.json) was recorded from real mmcv 1.7.2: every
pure-Python module with its public names, plus mmcv.ops' module files and ``__all__``.
"""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Any, Dict

import pytest

from compat._shim_finder import find_real_mmcv

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
pytestmark = pytest.mark.skipif(find_real_mmcv() is not None, reason='a real mmcv is installed')


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ('LEGACY_RUNNER_SHIM', 'PYTHONPATH', 'LEGACY_RUNNER_MMCV_VERSION')}
    env.update(OMP_NUM_THREADS='1', PYTHONPATH=REPO, **extra)
    return env


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code], env=_env(**env), capture_output=True, text=True,
                          timeout=300, cwd=REPO)


@pytest.fixture(scope='module')
def walk() -> Dict[str, Any]:
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tests', 'mmcv_surface_walk.py')], env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    for owner, entry in sorted(report.items()):
        print(f"{owner}: modules {entry['modules_ok']}/{entry['modules']}, "
              f"names {entry['names_ok']}/{entry['names']}")
    return report


def test_every_module_imports_and_every_name_resolves(walk: Dict[str, Any]) -> None:
    modules = sum(e['modules'] for o, e in walk.items() if o != 'ops')
    names = sum(e['names'] for o, e in walk.items() if o != 'ops')
    assert (modules, names) == (154, 1777)  # the manifest, read back whole
    failed = {o: {**e['failed_modules'], **e['failed_names']} for o, e in walk.items()}
    failed = {o: f for o, f in failed.items() if f}
    assert not failed, json.dumps(failed, indent=1)[:6000]


def test_names_have_mmcv_kinds(walk: Dict[str, Any]) -> None:
    """A class stays a class, a function a function, a module a module (e.g. mmcv.parallel.collate is
    the function even after `import mmcv.parallel.collate`)."""
    mismatched = {o: e['kind_mismatch'] for o, e in walk.items() if e['kind_mismatch']}
    assert not mismatched, mismatched


def test_import_mmcv_does_not_import_torch_or_cv2() -> None:
    proc = _python('import sys, compat.mmcv_shim, mmcv\n'
                   'mmcv.__version__, mmcv.Config, mmcv.load, mmcv.imread, mmcv.ProgressBar\n'
                   'print(sorted(m for m in ("torch", "cv2") if m in sys.modules))\n'
                   'import mmcv.image, mmcv.video, mmcv.visualization, mmcv.arraymisc\n'
                   'print(sorted(m for m in ("torch",) if m in sys.modules))\n'
                   'mmcv.TORCH_VERSION\n'
                   'print(sorted(m for m in ("torch",) if m in sys.modules))\n')
    assert proc.returncode == 0, proc.stderr
    # torch only once a torch name is asked for
    assert proc.stdout.split('\n')[:3] == ['[]', '[]', "['torch']"], proc.stdout


def test_deep_imports_and_identities() -> None:
    proc = _python(
        'import compat.mmcv_shim\n'
        'from mmcv.runner.hooks.logger.wandb import WandbLoggerHook\n'
        'from mmcv.cnn.bricks.registry import ATTENTION, CONV_LAYERS\n'
        'from mmcv.runner import *\n'
        'from mmcv.parallel.distributed_deprecated import MMDistributedDataParallel as Old\n'
        'import mmcv, mmcv.runner, mmcv.parallel, mmcv.parallel.collate, typing, collections, torch\n'
        'import legacy_runner.hooks.logger.wandb as w, legacy_runner.cnn.bricks.registry as r\n'
        'import legacy_runner.parallel as p\n'
        'assert WandbLoggerHook is w.WandbLoggerHook and ATTENTION is r.ATTENTION\n'
        'assert EpochBasedRunner is mmcv.runner.EpochBasedRunner and "PreemptionHook" not in dir()\n'
        'assert mmcv.parallel.collate is p.collate and Old is not p.MMDistributedDataParallel\n'
        'from mmcv.runner.checkpoint import Optional, OrderedDict, load_url\n'
        'assert Optional is typing.Optional and OrderedDict is collections.OrderedDict\n'
        'assert load_url is torch.utils.model_zoo.load_url\n'
        'from mmcv.parallel.scatter_gather import OrigScatter, Scatter\n'
        'assert OrigScatter is torch.nn.parallel._functions.Scatter and Scatter is not OrigScatter\n'
        'assert mmcv.runner.hooks.lr_updater.runner is mmcv.runner\n'
        'assert mmcv.cnn.bricks.drop.__name__ == "mmcv.cnn.bricks.drop"\n'
        'assert mmcv.utils.Registry is mmcv.runner.hooks.hook.Registry\n'
        # private helpers that codebases import (mmpose 0.29: _get_dataloader)
        'from mmcv.utils.parrots_wrapper import _get_dataloader, _get_conv, _get_norm, _get_pool\n'
        'from torch.utils.data import DataLoader\n'
        'assert _get_dataloader() == (DataLoader, DataLoader)\n'
        'assert _get_conv()[0] is torch.nn.modules.conv._ConvNd\n'
        'assert _get_norm()[2] is torch.nn.SyncBatchNorm and len(_get_pool()) == 4\n'
        'print("ok")\n')
    assert proc.returncode == 0 and proc.stdout.strip() == 'ok', proc.stderr[-3000:]


def test_missing_implementation_is_a_clear_import_error() -> None:
    proc = _python('import sys, compat.mmcv_table as t\n'
                   't.MODULES["mmcv.cnn.not_written"] = ("legacy_runner.cnn.not_written",)\n'
                   'import compat.mmcv_shim\n'
                   'try:\n    import mmcv.cnn.not_written\n'
                   'except ImportError as e:\n    print(e)\n')
    assert proc.returncode == 0, proc.stderr
    assert 'cannot import mmcv.cnn.not_written' in proc.stdout
    assert 'legacy_runner.cnn.not_written is not available' in proc.stdout


def test_get_device_and_hardware_only_pieces() -> None:
    proc = _python(
        'import compat.mmcv_shim, torch\n'
        'from mmcv.device import get_device\n'
        'from mmcv.device.mlu import MLUDataParallel\n'
        'from mmcv.device.npu import NPUDataParallel, NPUDistributedDataParallel\n'
        'from mmcv.device.mps import MPSDataParallel\n'
        'import mmcv.device.ipu as ipu\n'
        'from mmcv.onnx import register_extra_symbolics, is_custom_op_loaded\n'
        'from mmcv.tensorrt import onnx2trt, is_tensorrt_plugin_loaded\n'
        'from mmcv.utils import IS_MLU_AVAILABLE, IS_NPU_AVAILABLE, IS_IPU_AVAILABLE\n'
        'expect = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() '
        'else "cpu")\n'
        'assert get_device() == expect, get_device()\n'
        'assert not (IS_MLU_AVAILABLE or IS_NPU_AVAILABLE or IS_IPU_AVAILABLE)\n'
        'assert not is_custom_op_loaded() and not is_tensorrt_plugin_loaded()\n'
        'net = torch.nn.Linear(1, 1)\n'
        'calls = [lambda: MLUDataParallel(net), lambda: NPUDataParallel(net),\n'
        '         lambda: register_extra_symbolics(11), lambda: onnx2trt(None, {}),\n'
        '         lambda: ipu.IPUEpochBasedRunner()]\n'
        'if not torch.backends.mps.is_available():\n'
        '    calls.append(lambda: MPSDataParallel(net))\n'
        'for call in calls:\n'
        '    try:\n        call()\n'
        '    except (RuntimeError, NotImplementedError) as e:\n        print(str(e).splitlines()[0])\n'
        '    else:\n        raise SystemExit("no error")\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) >= 5
    assert 'MLUDataParallel needs MLU hardware' in lines[0] and 'NPUDataParallel needs NPU' in lines[1]
    assert 'ONNX/TensorRT export' in lines[2] and 'onnx2trt' in lines[3] and 'IPU' in lines[4]


def test_cpu_scatter_of_mmcv_device() -> None:
    import torch

    from legacy_runner.device import scatter_kwargs
    from legacy_runner.parallel import DataContainer
    x = torch.arange(4.)
    inputs, kwargs = scatter_kwargs((x, DataContainer([x], cpu_only=True)), dict(k=x), [-1])
    assert len(inputs) == len(kwargs) == 1
    assert torch.equal(inputs[0][0], x) and inputs[0][1] is x and torch.equal(kwargs[0]['k'], x)


def test_bad_version_variable_is_one_clear_error() -> None:
    proc = _python('import compat.mmcv_shim, mmcv\nmmcv.__version__', LEGACY_RUNNER_MMCV_VERSION='latest')
    assert proc.returncode != 0
    assert "LEGACY_RUNNER_MMCV_VERSION='latest' is not an mmcv version" in proc.stderr


def test_register_handler_reaches_load_and_dump(tmp_path: 'os.PathLike') -> None:
    from legacy_runner.utils import dump, load
    from legacy_runner.utils.file_handlers import BaseFileHandler, file_handlers, register_handler

    @register_handler(['lines_test'])
    class LinesHandler(BaseFileHandler):
        def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
            return file.read().splitlines()

        def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
            file.write('\n'.join(obj))

        def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
            return '\n'.join(obj)

    path = osp.join(str(tmp_path), 'a.lines_test')
    dump(['x', 'y'], path)
    assert open(path).read() == 'x\ny' and load(path) == ['x', 'y']
    assert isinstance(file_handlers['lines_test'], LinesHandler)
