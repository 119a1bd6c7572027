"""Scene YAML: loading (``extends``, ``--set``), the pydantic schema, and error messages.

``load_scene(path, overrides)`` returns a ``LoadedScene`` whose ``.scene`` is the
validated ``Scene``; any problem raises ``SceneError`` with ``file:line: field: message``
lines. Imports nothing heavier than numpy, pyyaml and pydantic.
"""

from simgen.scene.loader import LoadedScene, load_scene
from simgen.scene.schema import Scene

__all__ = ["LoadedScene", "Scene", "load_scene"]
