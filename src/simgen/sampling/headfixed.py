"""Head-fixed animals (``animal.pose.fixed_head: true``), pure numpy.

A head-fixed mouse's skull is clamped to a head bar that stays put in the world. The
rig poses every bone relative to its parent, so any rotation on the chain from the
root bone to the head moves the head. Here that chain stays at rest: the head keeps
its rest place and orientation relative to the placement while legs, tail, ears and
jaw move. Grooming forepaws are refitted to the (now unbent) face. Scale and yaw
pivot about the head keypoint, so a bigger or slightly turned animal still has its
head where the bar is.
"""

from __future__ import annotations

import math

import numpy as np

from simgen.errors import SimgenError

HEAD_BONE = "head"
HEAD_KEYPOINT = "head"
_ARM_BONES = {"scapula_l", "humerus_l", "forearm_l", "scapula_r", "humerus_r", "forearm_r"}
_FACE_KEYPOINTS = {"snout", "left_eye", "right_eye", "left_forepaw", "right_forepaw"}


def head_chain(skeleton) -> list[str]:
    """The head bone and its ancestors up to the root."""
    names = skeleton.bone_names
    if HEAD_BONE in names:
        bone = HEAD_BONE
    else:
        kps = {k.name: k.bone for k in skeleton.keypoints}
        if HEAD_KEYPOINT not in kps:
            raise SimgenError("animal.pose.fixed_head: the animal has no bone or keypoint named 'head'")
        bone = kps[HEAD_KEYPOINT]
    chain = []
    while bone is not None:
        chain.append(bone)
        bone = skeleton.bone(bone).parent
    return chain


def fix_head(skeleton, angles: dict[str, list[float]], preset: str) -> dict[str, list[float]]:
    """``angles`` with the head chain at rest (and grooming paws brought back to the face)."""
    chain = set(head_chain(skeleton))
    out = {b: list(v) for b, v in angles.items() if b not in chain}
    if (preset == "groom" and _ARM_BONES <= set(skeleton.bone_names)
            and _FACE_KEYPOINTS <= set(skeleton.keypoint_names)):
        from simgen.assets.poses import paws_to_face  # pure numpy

        out = {b: v for b, v in paws_to_face(skeleton, out).items() if b not in chain}
    return skeleton.clip(out)


def head_pivot(skeleton) -> np.ndarray:
    """Rest position of the head (the pivot of scale and yaw), animal space at scale 1."""
    names = skeleton.keypoint_names
    if HEAD_KEYPOINT in names:
        return skeleton.keypoints_rest()[names.index(HEAD_KEYPOINT)].copy()
    return np.asarray(skeleton.bone(head_chain(skeleton)[0]).head, float).copy()


def pivot_placement(skeleton, x: float, y: float, z: float, yaw_deg: float, scale: float) -> tuple[float, float, float]:
    """The animal origin that keeps the head where ``(x, y, z)`` puts it at scale 1 and yaw 0."""
    h = head_pivot(skeleton)
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    turned = np.array([c * h[0] - s * h[1], s * h[0] + c * h[1], h[2]])
    o = np.array([x, y, z]) + h - scale * turned
    return float(o[0]), float(o[1]), float(o[2])
