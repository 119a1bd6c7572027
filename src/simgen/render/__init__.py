"""Rendering: the only pipeline code that runs bpy (see docs/rendering.md).

Pure numpy: ``camera`` (K, R, t and Blender camera settings), ``project``,
``labels``, ``primitives``, ``contact_sheet``. Blender: ``blender_scene`` (build
once, apply a FrameSpec, RGB and mask passes, ray casts), ``animal``, ``rig``,
``materials``. ``run`` plans frames (resume, shards) and drives worker processes.
To add a rig primitive: ``primitives.PRIMITIVES`` and the scene schema's list.
"""
