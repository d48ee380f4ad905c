"""The glue an old codebase leans on when it runs through ``python -m legacy_runner`` (in-process):

- ``custom_imports`` given with ``--cfg-options`` is imported after the merge (as mmdet's
  ``tools/train.py`` did), so the types it registers are found;
- under ``--runtime v2`` a v1 model gets its batches collated the mmcv way (Python numbers become
  tensors, DataContainers are grouped and unwrapped), whatever the v2 loader's default collate,
  and trains to the same weights as on the legacy runtime;
- DataLoader workers started with spawn/forkserver import the old package again (to unpickle its
  dataset), so ``import mmcv`` must be served there too, not only in the command's own process.
"""
import os.path as osp
import site
import sys
import textwrap
import uuid

import pytest
import torch

from legacy_runner.cli import main

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEP = osp.join(REPO, 'configs_v1', 'mlp_step_epoch.py')


def _write_module(tmp_path, monkeypatch, body: str) -> str:
    """A uniquely named module in tmp_path (importable), returns its name."""
    name = f'ci_glue_{uuid.uuid4().hex[:10]}'
    (tmp_path / f'{name}.py').write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _weights(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


# -- custom_imports from --cfg-options --------------------------------------------------------------
_EXTRA_MODEL = '''
    from legacy_runner.builder import MODELS
    from legacy_runner.examples.mlp import MLPClassifier

    BUILT = []


    @MODELS.register_module()
    class {cls}(MLPClassifier):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            BUILT.append(self)
'''


def test_custom_imports_from_cfg_options_register_types(tmp_path, monkeypatch) -> None:
    cls = f'ExtraMLP{uuid.uuid4().hex[:8]}'
    mod = _write_module(tmp_path, monkeypatch, _EXTRA_MODEL.format(cls=cls))
    opts = [f'custom_imports.imports=[{mod}]', f'model.type={cls}', 'runner.max_epochs=1',
            'data.train.num_samples=256']
    work_dir = str(tmp_path / 'w')
    assert main(['train', STEP, '--work-dir', work_dir, '--seed', '0', '--cfg-options', *opts]) == 0
    built = sys.modules[mod].BUILT
    assert len(built) == 1 and type(built[0]).__name__ == cls
    ckpt = str(tmp_path / 'w' / 'epoch_1.pth')
    # the test command too: the model is rebuilt from the option-imported module, the checkpoint loads
    assert main(['test', STEP, ckpt, '--eval', 'accuracy', '--cfg-options', *opts]) == 0
    assert len(built) == 2
    for key, value in _weights(ckpt).items():
        assert torch.equal(built[1].state_dict()[key], value), key


def test_custom_imports_from_cfg_options_bad_module_is_one_line(tmp_path, capsys) -> None:
    rc = main(['train', STEP, '--work-dir', str(tmp_path / 'w'),
               '--cfg-options', 'custom_imports.imports=[no_such_module_ci_glue]'])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1, err
    assert 'custom_imports' in err and 'no_such_module_ci_glue' in err, err


# -- v1 collate under --runtime v2 ------------------------------------------------------------------
_INT_LABELS = '''
    import torch
    from legacy_runner.builder import DATASETS, MODELS
    from legacy_runner.examples.mlp import MLPClassifier
    from legacy_runner.examples.toy_dataset import ToyClsDataset
    from legacy_runner.parallel import DataContainer

    SEEN = []


    @DATASETS.register_module()
    class {ds}(ToyClsDataset):
        """Labels as Python ints and a cpu_only DataContainer of metas, as mmcls/mmdet pipelines give."""

        def __getitem__(self, idx):
            item = super().__getitem__(idx)
            return dict(img=item['img'], gt_label=int(item['gt_label']),
                        img_metas=DataContainer(dict(idx=idx), cpu_only=True))


    @MODELS.register_module()
    class {model}(MLPClassifier):
        def forward(self, img, gt_label=None, return_loss=True, img_metas=None, **kwargs):
            SEEN.append((return_loss, type(gt_label).__name__, img_metas))
            return super().forward(img, gt_label, return_loss=return_loss, **kwargs)
'''


def test_v1_model_gets_mmcv_collate_on_v2_runtime(tmp_path, monkeypatch) -> None:
    tag = uuid.uuid4().hex[:8]
    ds, model = f'IntLabelSet{tag}', f'IntLabelMLP{tag}'
    mod = _write_module(tmp_path, monkeypatch, _INT_LABELS.format(ds=ds, model=model))
    opts = [f'custom_imports.imports=[{mod}]', f'model.type={model}', f'data.train.type={ds}',
            f'data.val.type={ds}', 'runner.max_epochs=1', 'data.train.num_samples=256',
            'data.samples_per_gpu=16', 'lr_config.warmup_iters=4']
    seen = None
    for runtime in ('v1', 'v2'):
        work_dir = str(tmp_path / runtime)
        assert main(['train', STEP, '--runtime', runtime, '--work-dir', work_dir, '--seed', '0',
                     '--cfg-options', *opts]) == 0, runtime
        seen = sys.modules[mod].SEEN
        train_calls = [s for s in seen if s[0]]
        assert train_calls and all(label == 'Tensor' for _, label, _ in train_calls), (runtime, seen[:3])
        for _, _, metas in seen:  # cpu_only DataContainer: one list of per-sample dicts
            assert isinstance(metas, list) and all(isinstance(m, dict) and 'idx' in m for m in metas)
        seen.clear()
    ckpt = 'epoch_1.pth'
    v1, v2 = _weights(str(tmp_path / 'v1' / ckpt)), _weights(str(tmp_path / 'v2' / ckpt))
    assert v1.keys() == v2.keys()
    for key in v1:
        torch.testing.assert_close(v2[key], v1[key], rtol=1e-5, atol=1e-6, msg=key)


# -- spawned DataLoader workers import mmcv too ---------------------------------------------------
_OLD_STYLE_DATASET = '''
    import mmcv  # an old package imports mmcv first: a spawned worker does it again to unpickle the set
    from mmcv.parallel import DataContainer
    from legacy_runner.builder import DATASETS
    from legacy_runner.examples.toy_dataset import ToyClsDataset


    @DATASETS.register_module()
    class {ds}(ToyClsDataset):
        def __getitem__(self, idx):
            item = super().__getitem__(idx)
            return dict(item, img_metas=DataContainer(dict(idx=idx, mmcv=mmcv.__name__), cpu_only=True))
'''


def test_spawned_dataloader_workers_get_the_mmcv_shim(tmp_path, monkeypatch) -> None:
    """`python -m legacy_runner train` serves `import mmcv` in its own process; a worker started with
    spawn begins as a fresh interpreter and, without the shim, died on `No module named 'mmcv'`
    while the run only said 'DataLoader worker exited unexpectedly'."""
    from compat._shim_finder import find_real_mmcv
    if find_real_mmcv() is not None:
        pytest.skip('a real mmcv is installed: the shim stays off')
    site_dirs = [*site.getsitepackages(), site.getusersitepackages()]
    if not any(osp.isfile(osp.join(d, 'legacy_runner_shim.pth')) for d in site_dirs):
        pytest.skip('the package is not installed (pip install -e .): no .pth hook for new processes')
    monkeypatch.delenv('LEGACY_RUNNER_SHIM', raising=False)
    ds = f'SpawnSet{uuid.uuid4().hex[:8]}'
    mod = _write_module(tmp_path, monkeypatch, _OLD_STYLE_DATASET.format(ds=ds))
    opts = [f'custom_imports.imports=[{mod}]', f'data.train.type={ds}', 'data.train.num_samples=64',
            'data.workers_per_gpu=1', 'data.train_dataloader.multiprocessing_context=spawn',
            'runner.max_epochs=1', 'workflow=[(train,1)]']
    assert main(['train', STEP, '--no-validate', '--work-dir', str(tmp_path / 'w'), '--seed', '0',
                 '--cfg-options', *opts]) == 0
    assert osp.isfile(str(tmp_path / 'w' / 'epoch_1.pth'))


if __name__ == '__main__':  # pragma: no cover
    sys.exit(pytest.main([__file__, '-q']))
