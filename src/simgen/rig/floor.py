"""The arena floor in a plate: its four corners and points along its four edges.

The floor is the largest region of one brightness class (Otsu's threshold on the
blurred plate; the class the image center belongs to). Its outline is reduced to
four corners (a polygon approximation with a growing tolerance); the outline's
points between the corners, away from them and from the image border, are the edge
points whose bending measures the lens distortion.

A textured floor (bedding in a home cage) has borders everywhere inside it, so the
edge-free test finds no floor there; then the floor is the largest region of high
local contrast around the image center instead (``textured_region``): bedding against
clear plastic walls and a smooth table. Its outline is ragged (pellets), so its edges
are not refined to the plate's gradient and do not measure lens distortion.

Corners are ordered top-left, top-right, bottom-right, bottom-left in the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.errors import SimgenError

HINT = "pass the floor's corners with --corners x1,y1,x2,y2,x3,y3,x4,y4 (image pixels, any order)"


@dataclass
class FloorOutline:
    corners: np.ndarray  # (4, 2) float, TL, TR, BR, BL
    edges: list[np.ndarray]  # 4 arrays (n, 2): top, right, bottom, left edge points
    textured: bool = False  # found as a textured region: edges too ragged to measure the lens


def order_corners(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL by angle about the centroid (image y down)."""
    pts = np.asarray(pts, float).reshape(4, 2)
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # from -pi: TL first for a roughly axis-aligned quad
    tl = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -tl, axis=0)


def check_corners(corners: np.ndarray, width: int, height: int) -> np.ndarray:
    corners = np.asarray(corners, float)
    if corners.shape != (4, 2):
        raise SimgenError("--corners needs 8 numbers: x1,y1,x2,y2,x3,y3,x4,y4")
    for x, y in corners:
        if not (-0.5 <= x <= width - 0.5 and -0.5 <= y <= height - 0.5):
            raise SimgenError(f"corner ({x:g}, {y:g}) lies outside the {width}x{height} image")
    ordered = order_corners(corners)
    import cv2

    area = abs(cv2.contourArea(ordered.astype(np.float32)))
    if area < 0.02 * width * height or not cv2.isContourConvex(ordered.astype(np.float32)):
        raise SimgenError("the 4 corners do not form a convex floor quadrilateral of useful size")
    return ordered


def floor_region(plate: np.ndarray, *, edge_threshold: float = 6.0) -> np.ndarray:
    """(H, W) bool: the floor, the edge-free region around the image center.

    Brightness alone does not separate floor from walls (vignetting darkens the
    floor's corners below the walls' level); the floor/wall border is a step, while
    the floor's shading is smooth. So: gradient magnitude above ``edge_threshold``
    grey levels per pixel marks borders; the floor is the largest border-free region
    that covers the image center, with its holes (drawings, specks) filled.
    """
    import cv2

    grey = plate if plate.ndim == 2 else cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    g = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.5)
    mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)) / 8
    region = _center_component(mag < edge_threshold).astype(np.uint8)
    return _center_component(cv2.dilate(region, np.ones((3, 3), np.uint8)))  # give back the border pixels


def _center_component(mask: np.ndarray) -> np.ndarray:
    """The connected region of ``mask`` that covers most of the image's central quarter,
    with its holes filled (empty when none does)."""
    import cv2

    h, w = mask.shape
    n, lab, _, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    center = lab[h // 2 - h // 8:h // 2 + h // 8, w // 2 - w // 8:w // 2 + w // 8]
    ids, counts = np.unique(center[center > 0], return_counts=True)
    if n < 2 or not len(ids):
        return np.zeros((h, w), bool)
    region = (lab == ids[np.argmax(counts)]).astype(np.uint8)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled > 0


def textured_region(plate: np.ndarray) -> np.ndarray:
    """(H, W) bool: the floor as the textured region around the image center (bedding).

    Local contrast (grey standard deviation over a window 1/60 of the shorter side),
    smoothed over 1/30 of it, split in two by Otsu's threshold; the high class's region
    covering the center, holes filled. Bright fixtures (a feeder, a spout) inside the
    bedding are in its holes or its outline and do not move the corners much, since
    those come from the edges' straight stretches.
    """
    import cv2

    g = plate.astype(np.float32) if plate.ndim == 2 else plate.astype(np.float32).mean(axis=-1)
    h, w = g.shape
    win = max(3, int(min(h, w) / 60) | 1)
    mu = cv2.blur(g, (win, win))
    sd = np.sqrt(np.clip(cv2.blur(g * g, (win, win)) - mu * mu, 0, None))
    sd = cv2.GaussianBlur(sd, (0, 0), max(1.0, min(h, w) / 60))
    u8 = np.clip(sd / max(float(sd.max()), 1e-6) * 255, 0, 255).astype(np.uint8)
    _, high = cv2.threshold(u8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _center_component(high)


def _robust_line(t: np.ndarray, x: np.ndarray, iters: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``x = a t + b`` fitted with outliers dropped (beyond 2.5 MADs, re-fitted); returns
    ((a, b), inlier mask)."""
    keep = np.ones(len(t), bool)
    coef = np.polyfit(t, x, 1)
    for _ in range(iters):
        r = x - np.polyval(coef, t)
        mad = np.median(np.abs(r[keep] - np.median(r[keep]))) + 0.5
        keep = np.abs(r - np.median(r[keep])) < 2.5 * 1.4826 * mad
        if keep.sum() < 4:
            break
        coef = np.polyfit(t[keep], x[keep], 1)
    return coef, keep


def sides_of(region: np.ndarray, trim: float = 0.15) -> tuple[np.ndarray, list[np.ndarray]]:
    """Corners (TL, TR, BR, BL) and edge points of a roughly axis-aligned (within ~30 deg)
    rectangle with a ragged outline: each side's line fitted robustly to the region's
    first/last pixel along the rows (left, right) or columns (top, bottom) of its middle
    span (``trim`` of it left out at both ends), so a bump (a feeder against one side) or
    a bite (a corner the bedding does not reach) is an outlier; then the rectangle at
    the sides' mean angle through each side's median inlier."""
    ys, xs = np.nonzero(region)
    if not len(ys):
        raise SimgenError(f"could not find the arena floor in the video; {HINT}")
    lines, edges = {}, {}
    for name, axis in (("left", 0), ("right", 0), ("top", 1), ("bottom", 1)):
        lo, hi = (ys.min(), ys.max()) if axis == 0 else (xs.min(), xs.max())
        span = np.arange(int(lo + trim * (hi - lo)), int(hi - trim * (hi - lo)) + 1)
        sl = region[span] if axis == 0 else region[:, span].T
        has = sl.any(axis=1)
        t = span[has].astype(float)
        first = np.argmax(sl[has], axis=1)
        last = sl.shape[1] - 1 - np.argmax(sl[has][:, ::-1], axis=1)
        x = (first if name in ("left", "top") else last).astype(float)
        if len(t) < 8:
            raise SimgenError(f"could not find the arena floor's edges in the video; {HINT}")
        coef, keep = _robust_line(t, x)
        lines[name] = (axis, coef)
        pts = np.stack([x, t], 1) if axis == 0 else np.stack([t, x], 1)
        edges[name] = pts[keep]

    # one rectangle: the sides' mean direction (a camera looking down sees a rectangle as
    # one, within a few px; the bedding's raggedness is larger than the perspective)
    ang = np.mean([-np.arctan(lines["left"][1][0]), -np.arctan(lines["right"][1][0]),
                   np.arctan(lines["top"][1][0]), np.arctan(lines["bottom"][1][0])])
    u, v = np.array([np.cos(ang), np.sin(ang)]), np.array([-np.sin(ang), np.cos(ang)])  # along x, along y
    offset = {k: float(np.median(e @ (u if k in ("left", "right") else v))) for k, e in edges.items()}
    corners = np.stack([offset["left"] * u + offset["top"] * v, offset["right"] * u + offset["top"] * v,
                        offset["right"] * u + offset["bottom"] * v, offset["left"] * u + offset["bottom"] * v])
    return corners, [edges["top"], edges["right"], edges["bottom"], edges["left"]]


def edge_points(outline: np.ndarray, corners: np.ndarray, width: int, height: int,
                *, corner_gap: float = 0.08, max_dist: float | None = None) -> list[np.ndarray]:
    """Outline points assigned to the four edges (nearest corner-to-corner segment),
    skipping those near a corner or on the image border."""
    pts = np.asarray(outline, float).reshape(-1, 2)
    border = 2
    pts = pts[(pts[:, 0] > border) & (pts[:, 0] < width - 1 - border)
              & (pts[:, 1] > border) & (pts[:, 1] < height - 1 - border)]
    max_dist = max_dist if max_dist is not None else 0.06 * min(width, height)
    dists, params = [], []
    for k in range(4):
        a, b = corners[k], corners[(k + 1) % 4]
        d = b - a
        L = np.linalg.norm(d)
        s = ((pts - a) @ d) / (L * L)
        perp = np.abs((pts - a) @ np.array([-d[1], d[0]]) / L)
        dists.append(np.where((s > corner_gap) & (s < 1 - corner_gap), perp, np.inf))
        params.append(s)
    dists = np.stack(dists)
    which = np.argmin(dists, axis=0)
    best = dists[which, np.arange(len(pts))]
    edges = []
    for k in range(4):
        sel = (which == k) & (best < max_dist)
        e = pts[sel]
        if len(e) > 200:  # plenty to measure a curve; keep the fit cheap
            e = e[np.linspace(0, len(e) - 1, 200).astype(int)]
        edges.append(e)
    return edges


def detect_floor(plate: np.ndarray, corners: np.ndarray | None = None) -> FloorOutline:
    """The floor outline; ``corners`` (given by the user) skip the corner search."""
    import cv2

    h, w = plate.shape[:2]

    def outline_of(region):
        contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        return max(contours, key=cv2.contourArea) if contours else None

    def usable(contour) -> bool:
        if contour is None or cv2.contourArea(contour) < 0.1 * w * h:
            return False
        c = contour.reshape(-1, 2)
        on_border = (c[:, 0] <= 2) | (c[:, 0] >= w - 3) | (c[:, 1] <= 2) | (c[:, 1] >= h - 3)
        return on_border.mean() <= 0.5  # else no border between floor and walls in view

    contour, textured = outline_of(floor_region(plate)), False
    if not usable(contour):
        tex = outline_of(textured_region(plate))
        if usable(tex):
            contour, textured = tex, True
    if corners is not None:
        ordered = check_corners(corners, w, h)
        edges = edge_points(contour, ordered, w, h) if contour is not None else [np.zeros((0, 2))] * 4
        return FloorOutline(ordered, edges, textured)
    if contour is None or cv2.contourArea(contour) < 0.1 * w * h:
        raise SimgenError(f"could not find the arena floor in the video; {HINT}")
    if not usable(contour):
        raise SimgenError(f"could not find the arena floor's edges in the video; {HINT}")
    if textured:
        region = textured_region(plate)
        ordered, edges = sides_of(region)
        return FloorOutline(ordered, edges, True)
    peri = cv2.arcLength(contour, True)
    quad = None
    for eps in np.linspace(0.005, 0.08, 30):
        approx = cv2.approxPolyDP(contour, eps * peri, True)
        if len(approx) == 4:
            quad = approx.reshape(4, 2).astype(float)
            break
        if len(approx) < 4:
            break
    if quad is None or not cv2.isContourConvex(quad.astype(np.float32)):
        raise SimgenError(f"the floor found in the video is not a 4-cornered shape; {HINT}")
    ordered = order_corners(quad)
    ordered = _refine_corners(contour.reshape(-1, 2).astype(float), ordered)
    edges = refine_edges(plate, edge_points(contour, ordered, w, h), ordered)
    return FloorOutline(intersect_edges(ordered, edges), edges)


def refine_edges(plate: np.ndarray, edges: list[np.ndarray], corners: np.ndarray, *,
                 reach: float = 4.0) -> list[np.ndarray]:
    """Move each edge point to the sub-pixel maximum of the gradient magnitude along
    its edge's normal (within ``reach`` px): the outline of a thresholded region sits
    on whole pixels, up to a pixel off the true border, and such a bias shared by all
    edges reads as a wrong focal length."""
    import cv2

    grey = plate if plate.ndim == 2 else cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY)
    g = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))
    steps = np.arange(-reach, reach + 1e-9, 0.25)
    out = []
    for k, e in enumerate(edges):
        if not len(e):
            out.append(e)
            continue
        d = corners[(k + 1) % 4] - corners[k]
        n = np.array([-d[1], d[0]]) / np.linalg.norm(d)
        pos = e[:, None, :] + steps[None, :, None] * n  # (P, S, 2)
        prof = cv2.remap(mag, pos[..., 0].astype(np.float32), pos[..., 1].astype(np.float32),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        i = np.clip(np.argmax(prof, axis=1), 1, len(steps) - 2)
        rows = np.arange(len(e))
        a, b, c = prof[rows, i - 1], prof[rows, i], prof[rows, i + 1]
        den = a - 2 * b + c
        frac = np.where(np.abs(den) > 1e-6, 0.5 * (a - c) / np.where(np.abs(den) > 1e-6, den, 1), 0.0)
        shift = steps[i] + np.clip(frac, -1, 1) * (steps[1] - steps[0])
        out.append(e + shift[:, None] * n)
    return out


def intersect_edges(corners: np.ndarray, edges: list[np.ndarray], *, span: float = 0.3) -> np.ndarray:
    """Corners as the crossings of the two edges meeting there, each a line fitted to
    its points nearest that corner (within ``span`` of the edge).

    The floor's outline rounds its corners off (blur, vignetting, the wall's shadow);
    the edges are sharp, and over a short span their lens bending is small.
    """
    out = corners.copy()
    for k in range(4):
        lines = []
        for j, end in ((k - 1) % 4, 1), (k, 0):  # the edge arriving at corner k, the one leaving it
            e = edges[j]
            if len(e) < 6:
                break
            a, b = corners[j], corners[(j + 1) % 4]
            s = ((e - a) @ (b - a)) / np.dot(b - a, b - a)
            near = e[(s > 1 - span) if end else (s < span)]
            if len(near) < 4:
                break
            c = near.mean(axis=0)
            _, _, vt = np.linalg.svd(near - c)
            lines.append((c, vt[0]))
        if len(lines) < 2:
            continue
        (c1, d1), (c2, d2) = lines
        A = np.stack([d1, -d2], axis=1)
        if abs(np.linalg.det(A)) < 1e-6:
            continue
        s1, _ = np.linalg.solve(A, c2 - c1)
        p = c1 + s1 * d1
        if np.linalg.norm(p - corners[k]) < 0.1 * np.linalg.norm(corners[k] - corners.mean(axis=0)):
            out[k] = p
    return out


def _refine_corners(outline: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Snap each corner to the outline point farthest out along its diagonal (the
    polygon approximation cuts corners off by up to its tolerance)."""
    c = corners.mean(axis=0)
    out = corners.copy()
    for k, p in enumerate(corners):
        d = (p - c) / np.linalg.norm(p - c)
        near = outline[np.linalg.norm(outline - p, axis=1) < 0.05 * np.linalg.norm(p - c) + 3]
        if len(near):
            out[k] = near[np.argmax((near - c) @ d)]
    return out
