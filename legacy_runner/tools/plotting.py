"""matplotlib access for the tools: optional (the ``plot`` extra), imported on demand."""
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Optional, TextIO

INSTALL_HINT = ('matplotlib is not installed, so no figure is drawn; install the plot extra with '
                '`pip install legacy-runner[plot]` (or `pip install matplotlib`)')


def have_matplotlib() -> bool:
    """True when ``import matplotlib`` works."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def warn_no_matplotlib(stream: Optional[TextIO] = None) -> None:
    """Tell the user how to get figures."""
    (stream or sys.stderr).write(f'note: {INSTALL_HINT}\n')


def new_figure(**kwargs: Any) -> Any:
    """A pyplot-free ``Figure`` (saving it needs no display and no backend switch)."""
    from matplotlib.figure import Figure
    return Figure(**kwargs)


def use_backend(backend: Optional[str]) -> None:
    """Select a matplotlib backend (``--backend``) before pyplot is imported."""
    if backend:
        import matplotlib
        matplotlib.use(backend)


def show_or_save(build: Any, out: Optional[str], **fig_kwargs: Any) -> Any:
    """Build a figure with ``build(fig)``; save it to ``out`` or show it in a window.

    Returns the figure. Without ``out`` pyplot is used; on a non-interactive backend (no display)
    a note asks for ``--out`` instead of failing.
    """
    if out:
        fig = new_figure(**fig_kwargs)
        build(fig)
        fig.savefig(out)
        return fig
    import matplotlib
    import matplotlib.pyplot as plt
    fig = plt.figure(**fig_kwargs)
    build(fig)
    if matplotlib.get_backend().lower() in ('agg', 'pdf', 'ps', 'svg', 'cairo', 'template'):
        sys.stderr.write(f'note: matplotlib backend {matplotlib.get_backend()!r} cannot open a window; '
                         'pass --out FILE to save the figure\n')
    else:
        plt.show()
    return fig


@contextmanager
def style(name: Optional[str]) -> Iterator[None]:
    """Apply a seaborn-like style (``dark``, ``whitegrid``, ...) if it can be found, else none.

    seaborn is used when installed; otherwise matplotlib's bundled copies of the seaborn styles.
    An unknown style is reported on stderr and ignored.
    """
    if not name:
        yield
        return
    import matplotlib.style
    try:
        import seaborn
    except ImportError:
        seaborn = None
    if seaborn is not None:
        with seaborn.axes_style(name):
            yield
        return
    available = set(matplotlib.style.available)
    for candidate in (name, f'seaborn-v0_8-{name}', f'seaborn-{name}'):
        if candidate in available:
            with matplotlib.style.context(candidate):
                yield
            return
    sys.stderr.write(f'note: style {name!r} not found (install seaborn for its styles); '
                     'using the default\n')
    yield
