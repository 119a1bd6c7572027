"""Mouse appearance as plain data: material slots of the body mesh and fur/skin/eye colors.

The body mesh ``mouse_body`` carries three material slots, in this order:
``mouse_fur`` (coat), ``mouse_skin`` (ears, nose, paws, tail: hairless) and
``mouse_eye`` (black, glossy). A renderer picks a :data:`FUR` entry per frame and sets
the ``mouse_fur`` and ``mouse_skin`` materials from it (Principled BSDF base color,
roughness, sheen); colors are linear RGB in 0..1. The skin follows the strain: a
C57BL/6 (black) has pigmented, grey ears and tail, an albino pink ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from simgen.choices import Fur, names

FUR_NAMES: tuple[str, ...] = names(Fur)

MATERIAL_SLOTS: list[str] = ["fur", "skin", "eye"]  # index = mesh material index
MATERIAL_NAMES: dict[str, str] = {"fur": "mouse_fur", "skin": "mouse_skin", "eye": "mouse_eye"}


@dataclass(frozen=True)
class Surface:
    color: tuple[float, float, float]  # linear RGB
    roughness: float
    sheen: float = 0.0  # Principled "Sheen Weight": the soft rim glow of fur
    sheen_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    specular: float = 0.5


# C57BL/6 is black; agouti (wild type), white (albino, e.g. BALB/c) and brown strains are common too.
FUR: dict[Fur, Surface] = {
    # matte: the real C57BL/6 coat reads near-black from above, with only a soft rim
    "black": Surface((0.01, 0.009, 0.009), roughness=0.7, sheen=0.4, sheen_tint=(0.55, 0.5, 0.45), specular=0.25),
    "agouti": Surface((0.16, 0.09, 0.045), roughness=0.7, sheen=0.5, sheen_tint=(0.9, 0.75, 0.55)),
    "white": Surface((0.78, 0.76, 0.72), roughness=0.75, sheen=0.4),
    "brown": Surface((0.09, 0.045, 0.02), roughness=0.65, sheen=0.5, sheen_tint=(0.8, 0.6, 0.45)),
}
SKIN = Surface((0.75, 0.36, 0.36), roughness=0.45, specular=0.4)  # pink skin: white and brown mice
# C57BL/6 ear and tail skin is grey-brown and thin: lit from above it reads light grey in
# video (the DeepLabCut open-field mice have light ears and a grey tail against a black coat)
PIGMENTED_SKIN = Surface((0.3, 0.26, 0.25), roughness=0.45, specular=0.5)
SKIN_FOR_FUR: dict[str, Surface] = {"black": PIGMENTED_SKIN, "agouti": Surface((0.2, 0.12, 0.11), roughness=0.5,
                                                                              specular=0.4)}
EYE = Surface((0.004, 0.004, 0.004), roughness=0.08, specular=0.9)


def surfaces(fur: str = "black") -> dict[str, Surface]:
    """Slot -> surface for one fur color."""
    if fur not in FUR:
        from simgen.errors import SimgenError

        raise SimgenError(f"unknown fur {fur!r}; choices: {', '.join(FUR_NAMES)}")
    return {"fur": FUR[fur], "skin": SKIN_FOR_FUR.get(fur, SKIN), "eye": EYE}
