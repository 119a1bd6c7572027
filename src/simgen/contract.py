"""Constants of the data contracts (docs/dataset-format.md, docs/design-decisions.md) that several packages must agree on.

Mask ids, the animal-asset format, the bundled mouse's tail length and the per-frame
file kinds of a dataset live here once; change one here and every reader and writer
follows. Imports nothing from simgen.
"""

from __future__ import annotations

# An animal asset directory: <name>.json in this format plus the skinned model it names.
ANIMAL_FORMAT = "simgen-animal/1"

# Instance ids in the masks: 0 background, 1 the animal, 2.. the rig parts in scene order.
# With several animals (issue 16): 1..A the animals in dataset.json's order, A+1.. the rig parts.
BACKGROUND_ID = 0
ANIMAL_ID = 1
FIRST_RIG_ID = 2
MAX_MASK_ID = 255  # masks are 8-bit PNGs

# The bundled mouse's tail: bones tail_0 .. tail_{N-1} (phantom.TAIL has N + 1 points).
N_TAIL_BONES = 12

# Per-camera files of one frame, besides the annotation (dataset.Layout.frame_files).
FRAME_FILE_KINDS = ("image", "mask", "depth")


def mask_ids(rig_names: list[str], animal_names: list[str] | None = None) -> dict[str, int]:
    """The ``dataset.json`` mask-id table for a scene's rig parts (in scene order); with
    ``animal_names`` (several animals) each animal has its own id, 1..A, by name."""
    if animal_names is None:
        ids = {"background": BACKGROUND_ID, "animal": ANIMAL_ID}
        ids.update({name: FIRST_RIG_ID + i for i, name in enumerate(rig_names)})
        return ids
    ids = {"background": BACKGROUND_ID}
    ids.update({name: ANIMAL_ID + i for i, name in enumerate(animal_names)})
    first_rig = ANIMAL_ID + len(animal_names)
    ids.update({name: first_rig + i for i, name in enumerate(rig_names)})
    return ids
