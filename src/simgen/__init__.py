"""simgen: labeled synthetic training data for animal pose estimation.

The pipeline runs in one direction: scene YAML -> Scene (``simgen.scene``) ->
FrameSpec per frame (``simgen.sampling``) -> rendered dataset directory
(``simgen.render`` writes, ``simgen.dataset`` reads) -> exports and pose training.
"""

__version__ = "0.1.0"
