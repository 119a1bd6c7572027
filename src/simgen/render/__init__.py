"""Rendering: the only pipeline code that runs bpy (see docs/rendering.md).

Pure numpy: ``camera`` (K, R, t and Blender camera settings), ``project``,
``labels``, ``primitives``, ``contact_sheet``, ``distortion`` (lens distortion of the
rendered image and mask, + cv2), ``video`` (clip videos of sequence datasets).
Blender: ``blender_scene`` (build once, apply a FrameSpec, RGB and mask passes, ray
casts), ``animal``, ``rig``, ``materials``, ``background`` (shadow catchers and the
composite over a background plate), ``region`` (a cached background per camera, only
the animals' boxes rendered per frame). ``plan`` works out the frames to render
(resume, shards; no bpy), ``worker`` renders them in one process, ``run`` drives
worker processes, ``faults`` checks limits and cleans up around them.
To add a rig primitive: ``primitives.PRIMITIVES`` and ``simgen.choices.Primitive``.
"""
