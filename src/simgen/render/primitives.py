"""Geometry of the built-in rig primitives as vertex/face arrays (pure numpy).

Every primitive is built in its own frame, meters, from ``size`` = [a, b, c]:

| name        | a              | b               | c                  | placement of the local frame                 |
| ----------- | -------------- | --------------- | ------------------ | -------------------------------------------- |
| `plane`     | length along x | width along y   | (unused)           | centered, lies in z = 0, normal +z           |
| `box`       | length x       | width y         | height z           | bottom face centered on the origin           |
| `cylinder`  | diameter       | (unused)        | height z           | bottom disk centered on the origin           |
| `arena`     | inner length x | inner width y   | wall height        | floor centered in z = 0, walls outside it    |
| `wheel`     | diameter       | tread width (y) | rim thickness      | axle along y through the origin              |
| `head_post` | bar length (y) | bar diameter    | post height        | horizontal bar along y at the origin, posts up |

Boxes and the arena's walls sit on z = 0 so a rig is placed by where its floor is.
To add a primitive: write a function returning ``(verts (V,3), faces list)`` and
add it to ``PRIMITIVES``; the scene schema's list of names must match.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simgen.choices import Primitive

Mesh = tuple[np.ndarray, list[tuple[int, ...]]]

WALL_THICKNESS = 0.01  # m; arena walls
_SEGMENTS = 48


def _merge(*meshes: Mesh) -> Mesh:
    verts, faces, off = [], [], 0
    for v, f in meshes:
        verts.append(np.asarray(v, float))
        faces.extend(tuple(i + off for i in face) for face in f)
        off += len(v)
    return np.concatenate(verts), faces


def _box(lo, hi) -> Mesh:
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array(
        [[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
         [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]],
        float,
    )
    # outward-facing quads (counter-clockwise seen from outside)
    f = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    return v, f


def _tube(r_out: float, r_in: float, z0: float, z1: float, n: int = _SEGMENTS) -> Mesh:
    """Closed cylinder (r_in == 0) or annular tube along z."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([np.cos(a), np.sin(a)], 1)
    if r_in <= 0:
        v = np.concatenate([
            np.c_[ring * r_out, np.full(n, z0)], np.c_[ring * r_out, np.full(n, z1)],
            [[0, 0, z0], [0, 0, z1]],
        ])
        c0, c1 = 2 * n, 2 * n + 1
        f = []
        for i in range(n):
            j = (i + 1) % n
            f.append((i, j, n + j, n + i))
            f.append((c0, j, i))
            f.append((c1, n + i, n + j))
        return v, f
    v = np.concatenate([
        np.c_[ring * r_out, np.full(n, z0)], np.c_[ring * r_out, np.full(n, z1)],
        np.c_[ring * r_in, np.full(n, z0)], np.c_[ring * r_in, np.full(n, z1)],
    ])
    f = []
    for i in range(n):
        j = (i + 1) % n
        f.append((i, j, n + j, n + i))  # outer wall
        f.append((2 * n + j, 2 * n + i, 3 * n + i, 3 * n + j))  # inner wall
        f.append((i, 2 * n + i, 2 * n + j, j))  # bottom ring
        f.append((n + i, n + j, 3 * n + j, 3 * n + i))  # top ring
    return v, f


def plane(size) -> Mesh:
    a, b = float(size[0]) / 2, float(size[1]) / 2
    return np.array([[-a, -b, 0], [a, -b, 0], [a, b, 0], [-a, b, 0]], float), [(0, 1, 2, 3)]


def box(size) -> Mesh:
    a, b, c = (float(s) for s in size)
    return _box((-a / 2, -b / 2, 0), (a / 2, b / 2, c))


def cylinder(size) -> Mesh:
    return _tube(float(size[0]) / 2, 0.0, 0.0, float(size[2]))


def arena(size) -> Mesh:
    a, b, h = (float(s) for s in size)
    ha, hb, w = a / 2, b / 2, WALL_THICKNESS
    return _merge(
        plane((a + 2 * w, b + 2 * w)),
        _box((-ha - w, -hb - w, 0), (ha + w, -hb, h)),  # -y wall
        _box((-ha - w, hb, 0), (ha + w, hb + w, h)),  # +y wall
        _box((-ha - w, -hb, 0), (-ha, hb, h)),  # -x wall
        _box((ha, -hb, 0), (ha + w, hb, h)),  # +x wall
    )


def _along_y(mesh: Mesh, center_y: float = 0.0) -> Mesh:
    """A z-axis mesh turned so its axis runs along y, centered on ``center_y``."""
    v, f = mesh
    v = np.asarray(v, float)
    z_mid = (v[:, 2].min() + v[:, 2].max()) / 2
    # (x, y, z) -> (x, z - z_mid, -y): a proper rotation about x, axis now along y
    out = np.c_[v[:, 0], v[:, 2] - z_mid + center_y, -v[:, 1]]
    return out, f


def wheel(size) -> Mesh:
    d, width, rim = (float(s) for s in size)
    r = d / 2
    hub = _tube(max(r * 0.08, 0.003), 0.0, -width / 2 - 0.005, width / 2 + 0.005, 24)
    return _merge(
        _along_y(_tube(r, max(r - rim, 1e-4), 0.0, width)),
        _along_y(hub),
    )


def head_post(size) -> Mesh:
    length, dia, post = (float(s) for s in size)
    r, hl = dia / 2, length / 2
    v, f = _tube(r, 0.0, 0.0, post, 24)
    return _merge(
        _along_y(_tube(r, 0.0, 0.0, length, 24)),
        (v + np.array([0.0, -hl + r, 0.0]), f),
        (v + np.array([0.0, hl - r, 0.0]), f),
    )


PRIMITIVES: dict[Primitive, Callable[[object], Mesh]] = {
    "plane": plane,
    "box": box,
    "cylinder": cylinder,
    "arena": arena,
    "wheel": wheel,
    "head_post": head_post,
}
