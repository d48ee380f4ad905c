"""Packaging for legacy_runner (mmcv 1.x runtime) and compat (v1 -> v2 migration)."""
import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


# --- mmcv import shim: install legacy_runner_shim.pth into site-packages -----------------
# The .pth line does nothing unless LEGACY_RUNNER_SHIM is set (then it imports compat._shim_env).
# `pip install .`: build_py puts the file at the wheel root; `pip install -e .`: the editable
# wheel gets it too (setuptools' editable_wheel build step). Nothing else in this file depends on it.
SHIM_PTH = 'legacy_runner_shim.pth'


def _shim_pth_bytes() -> bytes:
    with open(os.path.join(HERE, 'compat', SHIM_PTH), 'rb') as f:
        return f.read()


class BuildPyWithShimPth(build_py):
    """build_py that also writes the shim's .pth at the root of the build (so of the wheel)."""

    def run(self) -> None:
        super().run()
        if not getattr(self, 'editable_mode', False):
            with open(os.path.join(self.build_lib, SHIM_PTH), 'wb') as f:
                f.write(_shim_pth_bytes())

    def get_outputs(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [*super().get_outputs(*args, **kwargs), os.path.join(self.build_lib, SHIM_PTH)]


SHIM_CMDCLASS: dict = {'build_py': BuildPyWithShimPth}
try:
    from setuptools.command.editable_wheel import editable_wheel

    class EditableWheelWithShimPth(editable_wheel):
        """editable_wheel that adds the shim's .pth to the unpacked editable wheel."""

        def _run_build_commands(self, dist_name, unpacked_wheel, build_lib, tmp_dir):  # type: ignore
            result = super()._run_build_commands(dist_name, unpacked_wheel, build_lib, tmp_dir)
            with open(os.path.join(unpacked_wheel, SHIM_PTH), 'wb') as f:
                f.write(_shim_pth_bytes())
            return result

    SHIM_CMDCLASS['editable_wheel'] = EditableWheelWithShimPth
except ImportError:  # setuptools < 64: no PEP 660 editable wheels
    pass
# --- end of the mmcv import shim block ------------------------------------------------------------


def read_version() -> str:
    scope: dict = {}
    with open(os.path.join(HERE, 'legacy_runner', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='legacy-runner',
    version=read_version(),
    description='Run OpenMMLab 1.x (mmcv.runner) training on modern PyTorch and migrate it, '
    'verifiably, to the mmengine-style v2 format.',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',  # torch 2.5's floor
    packages=find_packages(include=['legacy_runner', 'legacy_runner.*', 'compat', 'compat.*']),
    include_package_data=True,
    install_requires=[
        # torch.amp.GradScaler(device) (2.3) and the safe-loading API: add_safe_globals (2.4),
        # get_safe_globals / get_unsafe_globals_in_checkpoint (2.5)
        'torch>=2.5',
        'numpy>=1.19',
        'yapf>=0.40',
        'pyyaml>=5.1',
    ],
    extras_require={
        'test': ['pytest>=7', 'pytest-timeout>=2', 'hypothesis>=6', 'ruff>=0.4', 'matplotlib>=3.3',
                 'opencv-python-headless', 'Pillow', 'mypy>=1.8'],
        'image': ['opencv-python-headless', 'Pillow'],
        'tensorboard': ['tensorboard>=2.0'],
        'plot': ['matplotlib>=3.3'],
    },
    cmdclass=SHIM_CMDCLASS,  # mmcv import shim .pth (see the block above)
    entry_points={
        'console_scripts': [
            'legacy-runner=legacy_runner.cli:main',
            'convert-config=legacy_runner.cli:convert_main',
        ],
    },
)
