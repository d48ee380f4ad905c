"""``Config``: a loaded config file (python/json/yaml) with dict and attribute access (mmcv 1.x)."""
import copy
import os
import os.path as osp
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple, Union

from .config_dict import ConfigDict
from .loader import SUPPORTED_EXTS, UNSUPPORTED_MSG, file2dict, text2dict
from .merge import merge_a_into_b, nest_dotted_keys, substitute_base_refs

RESERVED_KEYS = ['filename', 'text', 'pretty_text']


class Config:
    """A config: ``cfg.a.b``, ``cfg['a']['b']``, ``cfg.get('a')`` all work.

    Example:
        >>> cfg = Config(dict(a=1, b=dict(b1=[0, 1])))
        >>> cfg.b.b1
        [0, 1]
        >>> cfg = Config.fromfile('configs/x.py')   # also .json / .yaml / .yml, with _base_
    """

    # -- construction -------------------------------------------------------------------------------
    def __init__(self, cfg_dict: Optional[dict] = None, cfg_text: Optional[str] = None,
                 filename: Union[str, Path, None] = None) -> None:
        if cfg_dict is None:
            cfg_dict = dict()
        elif not isinstance(cfg_dict, dict):
            raise TypeError(f'cfg_dict must be a dict, but got {type(cfg_dict)}')
        for key in cfg_dict:
            if key in RESERVED_KEYS:
                raise KeyError(f'{key} is reserved for config file')
        if isinstance(filename, Path):
            filename = str(filename)
        # object.__setattr__: our own __setattr__ writes into the config dict
        super().__setattr__('_cfg_dict', ConfigDict(cfg_dict))
        super().__setattr__('_filename', filename)
        if cfg_text:
            text = cfg_text
        elif filename:
            with open(filename, encoding='utf-8') as f:
                text = f.read()
        else:
            text = ''
        super().__setattr__('_text', text)

    @staticmethod
    def fromfile(filename: Union[str, Path], use_predefined_variables: bool = True,
                 import_custom_modules: bool = True) -> 'Config':
        """Load a .py/.json/.yaml/.yml config with its ``_base_`` chain; ``filename`` is kept as given."""
        if isinstance(filename, Path):
            filename = str(filename)
        cfg_dict, cfg_text = file2dict(filename, use_predefined_variables)
        if import_custom_modules and cfg_dict.get('custom_imports', None):
            _import_custom_modules(cfg_dict['custom_imports'], filename)
        return Config(cfg_dict, cfg_text=cfg_text, filename=filename)

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> 'Config':
        """Build a config from source text in format '.py', '.json', '.yaml' or '.yml'.

        Nothing is written to disk. The text is treated as a file named ``<string><ext>`` in the
        current directory: relative ``_base_`` paths and ``{{ fileDirname }}`` resolve against it.
        """
        if file_format not in SUPPORTED_EXTS:
            raise OSError(f'{UNSUPPORTED_MSG} Got file_format={file_format!r}')
        if file_format != '.py' and 'dict(' in cfg_str:
            # check if users specify a wrong suffix for python
            warnings.warn('Please check "file_format", the file format may be .py')
        filename = osp.join(os.getcwd(), f'<string>{file_format}')
        cfg_dict, cfg_text = text2dict(cfg_str, filename)
        if cfg_dict.get('custom_imports', None):
            _import_custom_modules(cfg_dict['custom_imports'], filename)
        return Config(cfg_dict, cfg_text=cfg_text, filename=filename)

    @staticmethod
    def auto_argparser(description: Optional[str] = None) -> Tuple[Any, 'Config']:
        """Experimental (as in mmcv): build an ArgumentParser with one flag per config value."""
        from argparse import ArgumentParser

        partial_parser = ArgumentParser(description=description)
        partial_parser.add_argument('config', help='config file path')
        cfg_file = partial_parser.parse_known_args()[0].config
        cfg = Config.fromfile(cfg_file)
        parser = ArgumentParser(description=description)
        parser.add_argument('config', help='config file path')
        add_args(parser, cfg)
        return parser, cfg

    # -- mmcv's private helpers, kept callable for downstream code that used them -----------------
    @staticmethod
    def _file2dict(filename: str, use_predefined_variables: bool = True) -> Tuple[Dict[str, Any], str]:
        return file2dict(filename, use_predefined_variables)

    @staticmethod
    def _merge_a_into_b(a: dict, b: Any, allow_list_keys: bool = False) -> Any:
        return merge_a_into_b(a, b, allow_list_keys)

    @staticmethod
    def _substitute_base_vars(cfg: Any, base_var_dict: Dict[str, str], base_cfg: dict) -> Any:
        return substitute_base_refs(cfg, base_var_dict, base_cfg, '<config>')

    @staticmethod
    def _validate_py_syntax(filename: str) -> None:
        with open(filename, encoding='utf-8') as f:
            content = f.read()
        try:
            compile(content, filename, 'exec', dont_inherit=True)
        except SyntaxError as e:
            raise SyntaxError(f'There are syntax errors in config file {filename}: {e}') from e

    # -- properties ---------------------------------------------------------------------------------
    @property
    def filename(self) -> Optional[str]:
        return self._filename

    @property
    def text(self) -> str:
        return self._text

    @property
    def pretty_text(self) -> str:
        from .pretty import pretty_text
        return pretty_text(self._cfg_dict.to_dict())

    # -- dict-like access, delegated to the ConfigDict ----------------------------------------------
    def __repr__(self) -> str:
        return f'Config (path: {self.filename}): {self._cfg_dict.__repr__()}'

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __getattr__(self, name: str) -> Any:
        if name == '_cfg_dict':  # not set yet (e.g. mid-unpickling): avoid infinite recursion
            raise AttributeError(name)
        return getattr(self._cfg_dict, name)

    def __getitem__(self, name: Any) -> Any:
        return self._cfg_dict.__getitem__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, dict):
            value = ConfigDict(value)
        self._cfg_dict.__setattr__(name, value)

    def __setitem__(self, name: Any, value: Any) -> None:
        if isinstance(value, dict):
            value = ConfigDict(value)
        self._cfg_dict.__setitem__(name, value)

    def __iter__(self) -> Iterator:
        return iter(self._cfg_dict)

    def __contains__(self, name: Any) -> bool:
        return name in self._cfg_dict

    # -- pickle and copies --------------------------------------------------------------------------
    def __getstate__(self) -> Tuple[ConfigDict, Optional[str], str]:
        return (self._cfg_dict, self._filename, self._text)

    def __setstate__(self, state: Tuple[ConfigDict, Optional[str], str]) -> None:
        cfg_dict, filename, text = state
        super().__setattr__('_cfg_dict', cfg_dict)
        super().__setattr__('_filename', filename)
        super().__setattr__('_text', text)

    def __copy__(self) -> 'Config':
        other = self.__class__.__new__(self.__class__)
        other.__dict__.update(self.__dict__)
        return other

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'Config':
        other = self.__class__.__new__(self.__class__)
        memo[id(self)] = other
        for key, value in self.__dict__.items():
            object.__setattr__(other, key, copy.deepcopy(value, memo))
        return other

    # -- output and merging -------------------------------------------------------------------------
    def dump(self, file: Union[str, Path, None] = None) -> Optional[str]:
        """Without ``file``: pretty_text for .py (or no filename), else the text in the file's format.

        With ``file``: write pretty_text to a .py path, or json/yaml by the path's suffix.
        """
        from ..utils.fileio import dump

        cfg_dict = self._cfg_dict.to_dict()
        if isinstance(file, Path):
            file = str(file)
        if file is None:
            if self.filename is None or self.filename.endswith('.py'):
                return self.pretty_text
            return dump(cfg_dict, file_format=self.filename.split('.')[-1])  # type: ignore[return-value]
        if file.endswith('.py'):
            text = self.pretty_text  # before opening: a config that cannot be printed leaves no empty file
            with open(file, 'w', encoding='utf-8') as f:
                f.write(text)
            return None
        return dump(cfg_dict, file=file, file_format=file.split('.')[-1])  # type: ignore[return-value]

    def merge_from_dict(self, options: Dict[str, Any], allow_list_keys: bool = True) -> None:
        """Merge ``{'a.b.c': v}``-style options (e.g. from ``--cfg-options``) into this config.

        With ``allow_list_keys`` a digit part indexes a list: ``'data.train.pipeline.0.size'``.
        """
        nested = nest_dotted_keys(options)
        super().__setattr__('_cfg_dict',
                            merge_a_into_b(nested, self._cfg_dict, allow_list_keys=allow_list_keys))


def _import_custom_modules(custom_imports: Any, filename: str) -> None:
    from ..utils.misc import import_modules_from_strings

    if not isinstance(custom_imports, dict):
        raise TypeError(f'custom_imports in config file {filename} must be a dict like '
                        f"dict(imports=['pkg.module'], allow_failed_imports=False), "
                        f'got {custom_imports!r}')
    try:
        import_modules_from_strings(**custom_imports)
    except ImportError as e:
        raise ImportError(f'{e} (custom_imports of config file {filename})') from e


def add_args(parser: Any, cfg: Any, prefix: str = '') -> Any:
    """Add one ``--prefix.key`` argument per config value (used by ``Config.auto_argparser``).

    The type tests run in mmcv's order, so a bool value gets ``type=int`` (bool is an int).
    """
    for key, value in cfg.items():
        flag = '--' + prefix + key
        if isinstance(value, str):
            parser.add_argument(flag)
        elif isinstance(value, int):
            parser.add_argument(flag, type=int)
        elif isinstance(value, float):
            parser.add_argument(flag, type=float)
        elif isinstance(value, dict):
            add_args(parser, value, prefix + key + '.')
        elif isinstance(value, (list, tuple)) and value:
            parser.add_argument(flag, type=type(value[0]), nargs='+')
        else:
            print(f'cannot parse key {prefix + key} of type {type(value)}')
    return parser
