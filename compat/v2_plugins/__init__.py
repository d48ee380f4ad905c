"""Optional plug-ins for v2 (mmengine-style) configs; each one is imported through ``custom_imports``."""
