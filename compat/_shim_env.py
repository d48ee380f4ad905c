"""Start-up hook of the installed ``legacy_runner_shim.pth``: activates the mmcv shim when
``LEGACY_RUNNER_SHIM`` is set (1/true/yes/on, or ``force``); does nothing otherwise."""
import os
import sys


def run() -> None:
    """Activate the shim per ``LEGACY_RUNNER_SHIM``; never let a failure break interpreter start."""
    if os.environ.get('LEGACY_RUNNER_SHIM', '').strip().lower() in ('', '0', 'false', 'no', 'off'):
        return
    try:
        import compat.mmcv_shim  # noqa: F401  (importing activates it)
    except Exception as e:  # pragma: no cover - start-up must survive anything
        sys.stderr.write(f'legacy_runner: LEGACY_RUNNER_SHIM is set but the mmcv shim failed: {e!r}\n')


run()
