"""Rendering: the only pipeline code that runs bpy (see docs/rendering.md).

Pure numpy: ``camera`` (K, R, t and Blender camera settings), ``project``,
``labels``, ``primitives``, ``contact_sheet``. Blender: ``blender_scene`` (build
once, apply a FrameSpec, RGB and mask passes, ray casts), ``animal``, ``rig``,
``materials``. ``plan`` works out the frames to render (resume, shards; no bpy),
``worker`` renders them in one process, ``run`` drives worker processes.
To add a rig primitive: ``primitives.PRIMITIVES`` and ``simgen.choices.Primitive``.
"""
