"""Camera intrinsics, pose and radial distortion from the floor rectangle.

The floor is a W x H rectangle on z = 0, centred on the origin, +x along the image's
top edge, +y toward the image's top (the convention of the bundled scenes, whose
top-down cameras use +y as image-up). Unknowns: the focal length f (square pixels,
principal point at the image center), the pose (rvec, tvec) and OpenCV's radial
k1, k2. Residuals, in pixels:

- the 4 corners: projected (with distortion) minus observed;
- the edge points: each observed point on a floor edge, undistorted with the
  current lens, must lie on the straight image of that edge (the pinhole projection
  of its two world corners); distance to that line.

Corners alone do not fix the lens: 8 numbers for 7 unknowns, and for a camera
looking straight down f trades against the height (only f / height is seen). The
edges add the distortion; the tilt, however slight, constrains f. A weak prior on
f (``prior_fov_deg``) keeps the solution finite when the view is fronto-parallel;
``CameraFit.focal_sigma`` reports how well the data pinned f.

Conventions: OpenCV (``x_cam = R X + t``, pixel centers at integers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.errors import SimgenError


@dataclass
class CameraFit:
    K: np.ndarray  # (3, 3)
    dist: np.ndarray  # (5,) k1, k2, p1, p2, k3 (p1 = p2 = k3 = 0 here)
    rvec: np.ndarray  # (3,)
    tvec: np.ndarray  # (3,)
    width: int
    height: int
    corner_errors: np.ndarray  # (4,) px
    edge_rms: float  # px, straightness residual of the edge points
    focal_sigma: float  # relative 1-sigma of f from the fit's Jacobian

    @property
    def R(self) -> np.ndarray:
        import cv2

        return cv2.Rodrigues(self.rvec)[0]

    @property
    def position(self) -> np.ndarray:
        return -self.R.T @ self.tvec

    @property
    def focal_px(self) -> float:
        return float(self.K[0, 0])

    @property
    def corner_rms(self) -> float:
        return float(np.sqrt(np.mean(self.corner_errors ** 2)))

    @property
    def look_at(self) -> np.ndarray:
        """Where the optical axis meets the floor (z = 0), or 1 m ahead if it does not."""
        pos, axis = self.position, self.R.T @ np.array([0.0, 0.0, 1.0])
        s = -pos[2] / axis[2] if axis[2] < -1e-6 else 1.0
        return pos + s * axis

    @property
    def up(self) -> np.ndarray:
        """World direction of image-up (camera -y)."""
        return self.R.T @ np.array([0.0, -1.0, 0.0])

    def project(self, points: np.ndarray, *, distort: bool = True) -> np.ndarray:
        import cv2

        d = self.dist if distort else np.zeros(5)
        uv, _ = cv2.projectPoints(np.asarray(points, float).reshape(-1, 1, 3), self.rvec, self.tvec, self.K, d)
        return uv.reshape(-1, 2)


def floor_corners_world(width_m: float, height_m: float) -> np.ndarray:
    """TL, TR, BR, BL (as seen in the image) on z = 0."""
    w, h = width_m / 2, height_m / 2
    return np.array([[-w, h, 0.0], [w, h, 0.0], [w, -h, 0.0], [-w, -h, 0.0]])


def intrinsics(f: float, width: int, height: int) -> np.ndarray:
    return np.array([[f, 0.0, (width - 1) / 2], [0.0, f, (height - 1) / 2], [0.0, 0.0, 1.0]])


def fit_camera(corners: np.ndarray, edges: list[np.ndarray], arena_m: tuple[float, float],
               image_size: tuple[int, int], *, prior_fov_deg: float = 70.0, prior_weight: float = 0.005,
               fit_distortion: bool = True) -> CameraFit:
    """Fit the camera to observed floor ``corners`` (TL, TR, BR, BL) and ``edges``
    (top, right, bottom, left points); ``arena_m``: the floor's (W, H) in meters."""
    import cv2
    from scipy.optimize import least_squares

    width, height = image_size
    corners = np.asarray(corners, float)
    world = floor_corners_world(*arena_m)
    edges = [np.asarray(e, float).reshape(-1, 2) for e in edges]
    n_edge = sum(len(e) for e in edges)
    fit_distortion = fit_distortion and n_edge >= 12
    f_prior = (width / 2) / np.tan(np.radians(prior_fov_deg) / 2)
    # each edge weighs as much as ~2 corners in total, however many points it has
    edge_w = [np.sqrt(4.0 / max(len(e), 1)) for e in edges]

    def unpack(p):
        f = np.exp(p[0])
        k = np.array([p[7], p[8], 0.0, 0.0, 0.0]) if fit_distortion else np.zeros(5)
        return f, p[1:4], p[4:7], k

    def residuals(p):
        f, rvec, tvec, k = unpack(p)
        K = intrinsics(f, width, height)
        uv, _ = cv2.projectPoints(world.reshape(-1, 1, 3), rvec, tvec, K, k)
        res = [(uv.reshape(-1, 2) - corners).ravel()]
        if fit_distortion:
            und, _ = cv2.projectPoints(world.reshape(-1, 1, 3), rvec, tvec, np.eye(3), np.zeros(5))
            und = und.reshape(-1, 2)  # normalized pinhole corners
            for j, e in enumerate(edges):
                if not len(e):
                    continue
                a, b = und[j], und[(j + 1) % 4]
                n = np.array([-(b - a)[1], (b - a)[0]])
                n /= np.linalg.norm(n) + 1e-12
                q = cv2.undistortPoints(e.reshape(-1, 1, 2), K, k).reshape(-1, 2)
                res.append(edge_w[j] * f * ((q - a) @ n))
        res.append([prior_weight * width * (p[0] - np.log(f_prior))])
        return np.concatenate([np.ravel(r) for r in res])

    best = None
    for f0 in f_prior * np.array([0.6, 1.0, 1.6]):
        K0 = intrinsics(f0, width, height)
        ok, rvec0, tvec0 = cv2.solvePnP(world, corners, K0, np.zeros(5), flags=cv2.SOLVEPNP_IPPE)
        if not ok:
            continue
        p0 = np.concatenate([[np.log(f0)], rvec0.ravel(), tvec0.ravel(), [0.0, 0.0] if fit_distortion else [0.0, 0.0]])
        # bounds keep a poorly constrained fit physical: f within 4x of the prior, |k| <= 1
        lo = np.r_[np.log(f_prior / 4), [-np.inf] * 6, -1.0, -1.0]
        hi = np.r_[np.log(f_prior * 4), [np.inf] * 6, 1.0, 1.0]
        p0[0] = np.clip(p0[0], lo[0] + 1e-9, hi[0] - 1e-9)
        try:
            sol = least_squares(residuals, p0, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=2000)
        except (ValueError, cv2.error):
            continue
        if best is None or sol.cost < best.cost:
            best = sol
    if best is None:
        raise SimgenError("the camera fit failed: the corners do not look like a rectangle seen by a camera")
    f, rvec, tvec, k = unpack(best.x)
    if tvec[2] <= 0:
        raise SimgenError("the camera fit put the floor behind the camera; check the corners' order/arena size")
    K = intrinsics(f, width, height)
    uv, _ = cv2.projectPoints(world.reshape(-1, 1, 3), rvec, tvec, K, k)
    errs = np.linalg.norm(uv.reshape(-1, 2) - corners, axis=1)
    r = best.fun[8:-1]
    edge_rms = float(np.sqrt(np.mean(r ** 2))) if fit_distortion and len(r) else float("nan")
    try:
        J = best.jac[:-1]  # the data alone: how well they pin f without the prior
        cov = np.linalg.pinv(J.T @ J) * max(float(best.fun[:-1] @ best.fun[:-1]) / max(len(J) - len(best.x), 1), 1e-12)
        sigma = float(np.sqrt(max(cov[0, 0], 0.0)))
    except np.linalg.LinAlgError:
        sigma = float("nan")
    return CameraFit(K, k, np.asarray(rvec, float), np.asarray(tvec, float), width, height, errs, edge_rms, sigma)
