"""The logic behind the analysis commands (``plot-lr``, ``analyze-logs``, ``collect-env``).

Each module is import-light: matplotlib is imported only when a figure is drawn (see
:mod:`.plotting`), torch only by ``collect-env``.
"""
