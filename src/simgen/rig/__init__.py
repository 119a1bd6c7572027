"""A scene from a lab's video of its rig (``simgen rig from-video``).

- ``plates``: background plates, the empty rig with the animal removed (temporal
  median with per-frame animal blobs excluded; one plate per lighting period).
- ``floor``: find the floor rectangle (corners and wall/floor edge points) in a plate.
- ``camera_fit``: intrinsics, pose and radial distortion (k1, k2) from that rectangle.
- ``exposure``: floor brightness statistics -> light energy range.
- ``scene_writer``: the scene YAML with the fitted values and the plates.
- ``from_video``: the command's library entry, tying these together.

Pure numpy + OpenCV, on RGB frames that ``simgen.video`` reads (a video or a folder of
frames); rendering the fit check goes through ``simgen.render``.
"""
