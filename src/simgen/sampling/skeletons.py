"""The animal skeleton the sampler poses: bones, limits, keypoints, without Blender."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=8)
def skeleton_for(asset: str):
    """The skeleton of ``asset`` ('mouse' or an asset directory); cached per process."""
    if asset == "mouse":
        from simgen.assets.mouse import default_skeleton

        return default_skeleton()
    from simgen.assets.animal_asset import AnimalAsset

    return AnimalAsset.load(asset).skeleton()
