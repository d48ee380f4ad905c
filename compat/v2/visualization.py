"""Visualizer with mmengine's scalar/config backends: LocalVisBackend and TensorboardVisBackend.

Only the parts training needs (scalars, config, dataset_meta); image drawing is out of scope.
In a distributed run only rank 0 records: the Visualizer ignores ``add_*`` calls on other ranks,
and the backends create their directory / event file at the first record, not when built.
"""
import json
import logging
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

from legacy_runner.dist import get_dist_info

from .logging import print_log
from .registry import VISBACKENDS, VISUALIZERS


class BaseVisBackend:
    """A backend that receives configs and scalars."""

    def __init__(self, save_dir: str) -> None:
        self._save_dir = save_dir

    def add_config(self, config: Any, **kwargs: Any) -> None:
        pass

    def add_scalar(self, name: str, value: Union[int, float], step: int = 0, **kwargs: Any) -> None:
        self.add_scalars({name: value}, step, **kwargs)

    def add_scalars(self, scalar_dict: Dict[str, Any], step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


@VISBACKENDS.register_module()
class LocalVisBackend(BaseVisBackend):
    """Appends one JSON object per ``add_scalars`` call to ``scalars.json`` (and to ``file_path``)."""

    def __init__(self, save_dir: str, img_save_dir: str = 'vis_image', config_save_file: str = 'config.py',
                 scalar_save_file: str = 'scalars.json') -> None:
        assert config_save_file.split('.')[-1] == 'py'
        assert scalar_save_file.split('.')[-1] == 'json'
        super().__init__(save_dir)
        self._img_save_dir = osp.join(save_dir, img_save_dir)
        self._config_save_file = osp.join(save_dir, config_save_file)
        self._scalar_save_file = osp.join(save_dir, scalar_save_file)
        self._files: Dict[str, Any] = {}  # kept open: one write + flush per record, no reopen

    def add_config(self, config: Any, **kwargs: Any) -> None:
        os.makedirs(self._save_dir, exist_ok=True)
        config.dump(self._config_save_file)

    def add_scalars(self, scalar_dict: Dict[str, Any], step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        assert isinstance(scalar_dict, dict)
        record = dict(scalar_dict)
        record.setdefault('step', step)
        line = json.dumps(record) + '\n'
        if file_path is not None:
            assert file_path.split('.')[-1] == 'json'
            path = osp.join(self._save_dir, file_path)
            assert path != self._scalar_save_file, ('``file_path`` and ``scalar_save_file`` have the same '
                                                    'name, please set ``file_path`` to another value')
            self._append(path, line)
        self._append(self._scalar_save_file, line)

    def _append(self, path: str, line: str) -> None:
        f = self._files.get(path)
        if f is None:
            os.makedirs(osp.dirname(path), exist_ok=True)
            f = self._files[path] = open(path, 'a+')
        f.write(line)
        f.flush()

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()


@VISBACKENDS.register_module()
class TensorboardVisBackend(BaseVisBackend):
    """``SummaryWriter`` scalars and the config text (needs the ``tensorboard`` package)."""

    def __init__(self, save_dir: str) -> None:
        super().__init__(save_dir)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ImportError('TensorboardVisBackend needs tensorboard: pip install tensorboard '
                              "(or pip install 'legacy-runner[tensorboard]')") from e
        self._writer_cls = SummaryWriter
        self._writer_obj: Any = None

    @property
    def _writer(self) -> Any:
        if self._writer_obj is None:  # the event file appears at the first record
            self._writer_obj = self._writer_cls(self._save_dir)
        return self._writer_obj

    def add_config(self, config: Any, **kwargs: Any) -> None:
        self._writer.add_text('config', config.pretty_text)

    def add_scalars(self, scalar_dict: Dict[str, Any], step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        assert 'step' not in scalar_dict, 'Please set it directly through the step parameter'
        for key, value in scalar_dict.items():
            if isinstance(value, (int, float)) or hasattr(value, 'item'):
                self._writer.add_scalar(key, value, step)
            else:
                print_log(f'Got {type(value)}, but numpy array, torch tensor, int or float are '
                          'expected. Skip it!', level=logging.WARNING)

    def close(self) -> None:
        if self._writer_obj is not None:
            self._writer_obj.close()


@VISUALIZERS.register_module()
class Visualizer:
    """Fans ``add_scalars``/``add_config`` out to its backends (under ``save_dir/vis_data``)."""

    def __init__(self, name: str = 'visualizer', image: Any = None, vis_backends: Optional[Sequence] = None,
                 save_dir: Optional[str] = None, fig_save_cfg: Any = None, fig_show_cfg: Any = None) -> None:
        self.instance_name = name
        self.dataset_meta: Optional[dict] = None
        self._vis_backends: Dict[str, BaseVisBackend] = {}
        if save_dir is not None:
            save_dir = osp.join(save_dir, 'vis_data')
        cfgs: List[Any] = list(vis_backends) if vis_backends is not None else []
        for cfg in cfgs:
            if isinstance(cfg, BaseVisBackend):
                name_ = type(cfg).__name__
                backend = cfg
            else:
                cfg = dict(cfg)
                name_ = cfg.pop('name', cfg['type'] if isinstance(cfg['type'], str) else cfg['type'].__name__)
                if save_dir is None and 'save_dir' not in cfg:
                    print_log(f'Failed to add {cfg["type"]}, please provide the `save_dir` argument.',
                              level=logging.WARNING)
                    continue
                cfg.setdefault('save_dir', save_dir)
                backend = VISBACKENDS.build(cfg)
            if name_ in self._vis_backends:
                raise RuntimeError(f'vis_backend name {name_} already exists')
            self._vis_backends[name_] = backend

    def get_backend(self, name: str) -> Optional[BaseVisBackend]:
        return self._vis_backends.get(name)

    def _recording_backends(self) -> List[BaseVisBackend]:
        """The backends on rank 0; none on the other ranks of a distributed run (mmengine)."""
        return list(self._vis_backends.values()) if get_dist_info()[0] == 0 else []

    def add_config(self, config: Any, **kwargs: Any) -> None:
        for backend in self._recording_backends():
            backend.add_config(config, **kwargs)

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        for backend in self._recording_backends():
            backend.add_scalar(name, value, step, **kwargs)

    def add_scalars(self, scalar_dict: Dict[str, Any], step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        for backend in self._recording_backends():
            backend.add_scalars(scalar_dict, step, file_path, **kwargs)

    def close(self) -> None:
        for backend in self._vis_backends.values():
            backend.close()


def build_visualizer(visualizer: Any, experiment_name: str, log_dir: str) -> Visualizer:
    """``Runner.build_visualizer``: None → LocalVisBackend under ``log_dir/vis_data``."""
    if visualizer is None:
        visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
    if not isinstance(visualizer, dict):
        return visualizer
    cfg = dict(visualizer)
    cfg.setdefault('name', experiment_name)
    cfg.setdefault('save_dir', log_dir)
    vis_type = cfg.get('type', 'Visualizer')
    if isinstance(vis_type, str) and VISUALIZERS.get(vis_type) is None:
        # Library visualizers (DetLocalVisualizer, ...) only add image drawing; scalars still work.
        print_log(f'Visualizer type {vis_type} is not available here; using Visualizer with the same '
                  'vis_backends (images are not drawn).', level=logging.WARNING)
        cfg['type'] = 'Visualizer'
    cfg.setdefault('type', 'Visualizer')
    allowed = ('type', 'name', 'image', 'vis_backends', 'save_dir', 'fig_save_cfg', 'fig_show_cfg')
    return VISUALIZERS.build({k: v for k, v in cfg.items() if k in allowed})
