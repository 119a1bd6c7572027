"""One Blender scene built once per worker, then set to each FrameSpec and rendered (bpy).

``BlenderScene(spec)`` resets Blender and creates the objects that a scene's
frames share: the animal, the rig parts, one camera object per camera, one light
per light, the world. ``apply(spec)`` copies a frame's values onto them (never
creating objects, never drawing random numbers). Then, per camera:
``render_rgb`` (Cycles, EEVEE or Workbench), ``render_mask`` (a second, flat
Workbench pass whose object colors are the instance ids; with ``depth=True`` the
same pass also gives the Z pass, i.e. depth at each pixel center, through a
compositor File Output node), ``first_hits`` (scene ray casts for visibility).

Everything comes in as the typed ``FrameSpec`` (sampling.spec); its values are the
schema's, so this module keeps no defaults of its own. Mask ids: ``contract``.
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

import numpy as np

from simgen.bpyutil import quiet_stdout
from simgen.choices import Engine, LightType
from simgen.contract import ANIMAL_ID, FIRST_RIG_ID, MAX_MASK_ID, mask_ids
from simgen.dataset.writer import check_written
from simgen.errors import SimgenError
from simgen.render.camera import PinholeCamera
from simgen.sampling.spec import FrameSpec, LightSpec, RenderSpec

log = logging.getLogger(__name__)

# Blender's names for each choices.Engine / choices.LightType (tests/test_choices.py keeps them equal)
ENGINES: dict[Engine, str] = {"cycles": "CYCLES", "eevee": "BLENDER_EEVEE", "workbench": "BLENDER_WORKBENCH"}
LIGHT_TYPES: dict[LightType, str] = {"area": "AREA", "point": "POINT", "sun": "SUN", "spot": "SPOT"}
GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "METAL", "ONEAPI")


class BlenderScene:
    def __init__(self, spec: FrameSpec, *, threads: int | None = None, animal=None):
        """Build the scene for ``spec``'s cameras, lights, rig and animal.

        ``animal``: an ``AnimalAsset`` to use instead of resolving each animal's asset
        (tests pass a tiny one); ``threads``: CPU threads per render (None = all).
        """
        import bpy

        from simgen.assets.animal_asset import load_animal
        from simgen.render.animal import AnimalRig
        from simgen.render.rig import build_part

        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = scene = bpy.context.scene
        self.collection = scene.collection
        scene.render.resolution_percentage = 100
        scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
        scene.render.use_file_extension = False
        scene.render.image_settings.file_format = "PNG"
        scene.render.use_persistent_data = True  # keep Cycles' BVH between frames
        scene.render.use_compositing = False  # only the depth pass turns the compositor on
        if threads:
            scene.render.threads_mode = "FIXED"
            scene.render.threads = int(threads)
        scene.world = bpy.data.worlds.new("world")
        self._world_bg = _make_world(scene.world)

        # every animal of the frame (several: issue 16), mask ids 1..A in order, rig parts after them
        self.animals: list[AnimalRig] = []
        self._names: list[str | None] = [a.name for a in spec.animals]
        assets: dict[str, object] = {}
        for i, a in enumerate(spec.animals):
            if a.asset not in assets:
                assets[a.asset] = animal if animal is not None else load_animal(a.asset)
            rig = AnimalRig(assets[a.asset], self.collection)
            for o in rig.meshes:
                o.color = ((ANIMAL_ID + i) / 255.0, 0.0, 0.0, 1.0)
            self.animals.append(rig)
        first_rig = FIRST_RIG_ID + max(0, len(self.animals) - 1)
        if first_rig + len(spec.rig) > MAX_MASK_ID + 1:
            raise SimgenError(f"{len(self.animals)} animals and {len(spec.rig)} rig parts do not fit in an 8-bit mask")
        self.rig = [build_part(p, first_rig + i, self.collection) for i, p in enumerate(spec.rig)]
        self.cameras = {}
        for c in spec.cameras:
            data = bpy.data.cameras.new(c.name)
            data.clip_start, data.clip_end = 0.001, 1000.0
            obj = bpy.data.objects.new(f"camera:{c.name}", data)
            self.collection.objects.link(obj)
            self.cameras[c.name] = obj
        self.lights = {}
        for li in spec.lights:
            data = bpy.data.lights.new(li.name, LIGHT_TYPES[li.type])
            obj = bpy.data.objects.new(f"light:{li.name}", data)
            self.collection.objects.link(obj)
            self.lights[li.name] = obj
        self._device: str | None = None
        self._spec: FrameSpec | None = None
        self._pinholes: dict[str, PinholeCamera] = {}
        self._depth_out = None  # (File Output node, folder), built on the first depth request

    # -- ids -------------------------------------------------------------------------
    @property
    def mask_ids(self) -> dict[str, int]:
        if self._names and self._names[0] is not None:  # several animals, named
            return mask_ids([p.name for p in self.rig], list(self._names))
        return mask_ids([p.name for p in self.rig])

    # -- per frame -------------------------------------------------------------------
    def apply(self, spec: FrameSpec) -> None:
        import bpy

        from simgen.render.rig import apply_part

        if [c.name for c in spec.cameras] != list(self.cameras):
            raise SimgenError("a frame's cameras differ from the scene's")
        if len(spec.rig) != len(self.rig):
            raise SimgenError("a frame's rig parts differ from the scene's")
        if [a.name for a in spec.animals] != self._names:
            raise SimgenError("a frame's animals differ from the scene's")
        for rig, a in zip(self.animals, spec.animals):
            rig.apply(a)
        for part, p in zip(self.rig, spec.rig):
            apply_part(part, p)
        self._pinholes = {}
        for c in spec.cameras:
            pin = PinholeCamera.from_spec(c)
            apply_camera(self.cameras[c.name], pin)
            self._pinholes[c.name] = pin
        if [li.name for li in spec.lights] != list(self.lights):
            raise SimgenError("a frame's lights differ from the scene's")
        for li in spec.lights:
            _apply_light(self.lights[li.name], li)
        w = spec.world
        self._world_bg.inputs["Color"].default_value = (*(float(c) for c in w.color), 1.0)
        self._world_bg.inputs["Strength"].default_value = float(w.strength)
        self.scene.world.color = tuple(float(c) for c in w.color)
        self._render_settings(spec.render)
        self._spec = spec
        bpy.context.view_layer.update()

    def pinhole(self, camera: str) -> PinholeCamera:
        return self._pinholes[camera]

    def _render_settings(self, r: RenderSpec) -> None:
        s = self.scene
        self._engine = engine = ENGINES[r.engine]
        samples = int(r.samples)
        if engine == "CYCLES":
            c = s.cycles
            c.samples = samples
            c.use_denoising = bool(r.denoise)
            if c.use_denoising:
                c.denoiser = "OPENIMAGEDENOISE"
                # OIDN's high-quality mode costs more than the 8-16 samples it cleans
                # up on a CPU; it pays off only for production sample counts.
                hq = samples >= 64
                c.denoising_prefilter = "ACCURATE" if hq else "FAST"
                c.denoising_quality = "HIGH" if hq else "FAST"
            # Lab rigs have no glass or volumes; a few diffuse/glossy bounces light them.
            # Measured on the open field (docs/benchmarks.md, render settings): no faster
            # than Blender's 12 bounces there, and darker in the bounce light; kept until a
            # scene with more geometry is measured.
            c.max_bounces, c.diffuse_bounces, c.glossy_bounces = 4, 2, 2
            c.transmission_bounces, c.volume_bounces, c.transparent_max_bounces = 2, 0, 4
            # Fixed seed: the same FrameSpec renders the same noise in any worker.
            c.seed = int(r.cycles_seed)
            c.use_animated_seed = False
            dev = r.device
            if dev != self._device:
                with quiet_stdout():  # Cycles prints a line per missing GPU library
                    c.device, note = _select_device(dev)
                if note:
                    log.warning(note) if c.device == "CPU" else log.info(note)
                self._device = dev
        elif engine == "BLENDER_EEVEE":
            s.eevee.taa_render_samples = samples

    # -- rendering -------------------------------------------------------------------
    def _use_camera(self, camera: str) -> None:
        pin = self._pinholes[camera]
        self.scene.camera = self.cameras[camera]
        self.scene.render.resolution_x = pin.width
        self.scene.render.resolution_y = pin.height

    def render_rgb(self, camera: str, path: Path, *, border: tuple[int, int, int, int] | None = None) -> None:
        """Render the color image of ``camera`` to the PNG ``path``.

        ``border``: only the pixel box ``(x0, y0, x1, y1)`` (x1, y1 exclusive; rows from
        the top), written as an image of that box's size (Cycles border render, cropped).
        """
        import bpy

        s = self.scene
        self._use_camera(camera)
        s.render.use_border = s.render.use_crop_to_border = border is not None
        if border is not None:
            x0, y0, x1, y1 = border
            w, h = s.render.resolution_x, s.render.resolution_y
            # Blender truncates border * size to whole pixels: aim at pixel centers so that
            # float rounding cannot lose a row (rows run bottom-up in Blender)
            s.render.border_min_x, s.render.border_max_x = (x0 + 0.5) / w, min(1.0, (x1 + 0.5) / w)
            s.render.border_min_y, s.render.border_max_y = (h - y1 + 0.5) / h, min(1.0, (h - y0 + 0.5) / h)
        s.render.engine = self._engine
        s.render.film_transparent = False
        s.view_settings.view_transform = "Standard"
        s.view_settings.look = "None"
        s.render.dither_intensity = 0.0  # no random dither: renders repeat exactly
        # nor does the file: no wall-clock date or render time in the PNG's text chunks
        s.render.use_stamp_date = s.render.use_stamp_render_time = False
        s.display_settings.display_device = "sRGB"
        if self._engine == "BLENDER_WORKBENCH":
            sh = s.display.shading
            sh.light, sh.color_type = "STUDIO", "MATERIAL"
            # every setting the mask pass changes is set here too, so a frame renders the same
            # whether or not a mask pass came before it (the first frame of a run, or alone)
            sh.show_shadows = sh.show_cavity = sh.show_object_outline = sh.show_specular_highlight = False
            s.display.render_aa = "8"
        st = s.render.image_settings
        st.file_format, st.color_mode, st.color_depth = "PNG", "RGB", "8"
        # --- background plates (issue 13): transparent film, rig as shadow catcher ---
        from simgen.render.background import plate_for, use_plate

        use_plate(s, [o for p in self.rig for o in p.meshes], plate_for(self._spec, camera) is not None)
        # --- end background plates ---
        s.render.filepath = str(Path(path).resolve())
        try:
            with quiet_stdout():
                bpy.ops.render.render(write_still=True)
        finally:
            s.render.use_border = s.render.use_crop_to_border = False
        check_written(path)  # Blender's writer reports no errors (a full disk leaves a cut-off PNG)

    @contextlib.contextmanager
    def animal_hidden(self):
        """Render without the animal (its meshes hidden from renders and ray casts)."""
        meshes = [o for rig in self.animals for o in rig.meshes]
        for o in meshes:
            o.hide_render = True
        try:
            yield
        finally:
            for o in meshes:
                o.hide_render = False

    def render_mask(self, camera: str, path: Path, *, depth: bool = False):
        """Render instance ids of ``camera``; returns the (H, W) uint8 mask, or
        ``(mask, depth)`` with ``depth=True``.

        ``path`` receives Blender's RGB PNG (ids in the red channel); callers store
        the returned array. Flat object colors, no anti-aliasing, raw color
        transform and no dither make the ids exact (NOTES-bpy5.md). The depth
        (float32, meters along the camera's optical axis, ``inf`` where no surface is
        hit) is the same pass's Z buffer, sampled at the pixel centers like the ids.
        """
        import bpy
        from PIL import Image

        s = self.scene
        self._use_camera(camera)
        s.render.engine = "BLENDER_WORKBENCH"
        depth_file = self._enable_depth() if depth else None  # after the engine: its passes
        sh = s.display.shading
        sh.light, sh.color_type = "FLAT", "OBJECT"
        sh.show_shadows = sh.show_cavity = sh.show_object_outline = sh.show_specular_highlight = False
        s.display.render_aa = "OFF"
        s.view_settings.view_transform = "Raw"
        s.view_settings.look = "None"
        s.render.dither_intensity = 0.0
        s.render.film_transparent = True  # background renders as 0
        st = s.render.image_settings
        st.file_format, st.color_mode, st.color_depth = "PNG", "RGBA", "8"
        s.render.filepath = str(Path(path).resolve())
        try:
            with quiet_stdout():
                bpy.ops.render.render(write_still=True)
        finally:
            s.render.film_transparent = False
            s.view_settings.view_transform = "Standard"
            if depth:
                s.render.use_compositing = False
                bpy.context.view_layer.use_pass_z = False
        check_written(path)
        with Image.open(path) as im:
            a = np.asarray(im)
        ids = np.where(a[..., 3] > 0, a[..., 0], 0).astype(np.uint8)
        if not depth:
            return ids
        return ids, self._read_depth(depth_file, camera)

    def _enable_depth(self) -> Path:
        """Turn on the Z pass and a compositor that writes it to an EXR; returns that file.

        The compositor passes the mask image through unchanged and runs only during
        the mask pass (``use_compositing`` is off for the RGB pass).
        """
        import atexit
        import shutil
        import tempfile

        import bpy

        bpy.context.view_layer.use_pass_z = True  # before the node: its Depth socket needs the pass
        if self._depth_out is None:
            folder = Path(tempfile.mkdtemp(prefix="simgen-depth-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            ng = bpy.data.node_groups.new("simgen_depth", "CompositorNodeTree")
            ng.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
            layers = ng.nodes.new("CompositorNodeRLayers")
            out = ng.nodes.new("NodeGroupOutput")
            ng.links.new(layers.outputs["Image"], out.inputs[0])
            fo = ng.nodes.new("CompositorNodeOutputFile")
            fo.file_output_items.new("FLOAT", "depth")
            fo.directory = str(folder)
            fo.file_name = "z_"
            fmt = fo.format
            fmt.media_type = "IMAGE"
            fmt.file_format = "OPEN_EXR"
            fmt.color_depth = "32"  # full float: the Z buffer's own precision
            fmt.exr_codec = "NONE"
            ng.links.new(layers.outputs["Depth"], fo.inputs["depth"])
            self.scene.compositing_node_group = ng
            self._depth_out = (fo, folder)
        _, folder = self._depth_out
        self.scene.render.use_compositing = True
        # the node names its file <file_name><item>, plus ".exr" only with use_file_extension
        target = folder / ("z_depth.exr" if self.scene.render.use_file_extension else "z_depth")
        target.unlink(missing_ok=True)
        return target

    def _read_depth(self, path: Path, camera: str) -> np.ndarray:
        import bpy

        if not path.is_file():
            raise SimgenError(f"the depth pass wrote no file ({path.name}); is the compositor disabled?")
        img = bpy.data.images.load(str(path), check_existing=False)
        try:
            img.colorspace_settings.is_data = True  # raw values, no color transform
            w, h = img.size
            buf = np.empty(w * h * img.channels, np.float32)
            img.pixels.foreach_get(buf)
        finally:
            bpy.data.images.remove(img)
        path.unlink(missing_ok=True)
        z = buf.reshape(h, w, -1)[::-1, :, 0].copy()  # Blender's rows run bottom-up
        far = self.cameras[camera].data.clip_end
        z[~(z < 0.999 * far)] = np.inf  # background: the Z buffer holds the far clip (or more)
        return z

    # -- labels ----------------------------------------------------------------------
    def keypoints_world(self, index: int = 0) -> np.ndarray:
        """World keypoints of animal ``index`` (the only one, for one animal)."""
        if not self.animals:
            raise SimgenError("this scene has no animal")
        return self.animals[index].keypoints_world()

    def first_hits(self, origin: np.ndarray, points: np.ndarray, tolerance: float, *, animal: int = 0) -> np.ndarray:
        """Distance at which a ray from ``origin`` toward each point of animal ``animal`` is blocked.

        A ray is blocked by the first surface that is not this animal (a rig part or
        another animal), or by this animal's surface once the ray has entered and left
        it (so a keypoint just under the skin on the side facing the camera stays
        visible, one behind the body does not). ``inf`` when nothing blocks it before
        the point. Surfaces within ``tolerance`` of the point do not block it.
        """
        import bpy
        from mathutils import Vector

        dg = bpy.context.evaluated_depsgraph_get()
        animal_objs = set()
        if self.animals:
            animal_objs = {o.name for o in self.animals[animal].meshes}
        out = np.full(len(points), np.inf)
        o = Vector(tuple(float(v) for v in origin))
        eps = 1e-5
        for i, p in enumerate(np.asarray(points, float)):
            d = Vector(tuple(p)) - o
            dist = d.length
            if dist <= 0:
                continue
            d.normalize()
            travelled, animal_crossings = 0.0, 0
            limit = dist - tolerance
            while travelled < limit:
                hit, loc, _n, _idx, obj, _m = self.scene.ray_cast(dg, o + d * travelled, d, distance=limit - travelled)
                if not hit:
                    break
                at = (loc - o).length
                if obj is None or obj.original.name not in animal_objs:
                    out[i] = at
                    break
                animal_crossings += 1
                if animal_crossings >= 2:  # entered and left the body: the point lies behind it
                    out[i] = at
                    break
                travelled = at + eps
        return out


def apply_camera(obj, pin: PinholeCamera) -> None:
    """Copy a PinholeCamera onto a Blender camera object."""
    from mathutils import Matrix

    b = pin.blender()
    obj.matrix_world = Matrix([list(r) for r in b.matrix_world])
    cam = obj.data
    cam.type = "PERSP"
    cam.lens_unit = "MILLIMETERS"
    cam.lens = b.lens
    cam.sensor_width = b.sensor_width
    cam.sensor_height = b.sensor_height
    cam.sensor_fit = b.sensor_fit
    cam.shift_x, cam.shift_y = b.shift_x, b.shift_y


def _make_world(world):
    nt = world.node_tree
    nt.nodes.clear()
    bg = nt.nodes.new("ShaderNodeBackground")
    out = nt.nodes.new("ShaderNodeOutputWorld")
    nt.links.new(bg.outputs["Background"], out.inputs["Surface"])
    return bg


def _apply_light(obj, li: LightSpec) -> None:
    from mathutils import Matrix

    from simgen.render.camera import look_at_rotation

    data = obj.data
    t = LIGHT_TYPES[li.type]
    if data.type != t:
        data.type = t
        data = obj.data
    pos = np.asarray(li.position, float)
    target = np.asarray(li.look_at, float)
    fwd = target - pos
    # Blender lights shine down their local -Z, like a camera; any roll will do.
    up = np.array([0.0, 1.0, 0.0]) if abs(fwd[2]) > 0.99 * np.linalg.norm(fwd) else np.array([0.0, 0.0, 1.0])
    R = look_at_rotation(pos, target, up)
    m = np.eye(4)
    m[:3, :3] = R.T @ np.diag([1.0, -1.0, -1.0])
    m[:3, 3] = pos
    obj.matrix_world = Matrix(m.tolist())
    data.energy = float(li.energy)
    data.color = tuple(float(c) for c in li.color)
    size = float(li.size)
    if t == "AREA":
        data.size = size
    elif t in ("POINT", "SPOT"):
        data.shadow_soft_size = size  # the scene's size is the point radius
    elif t == "SUN":
        data.angle = math.radians(size)  # for a sun, `size` is its angular diameter in degrees


def _select_device(device: str) -> tuple[str, str]:
    """('CPU' or 'GPU' for ``scene.cycles.device``, a line for the log); GPU only when found."""
    import bpy

    if device == "cpu":
        return "CPU", ""
    try:
        prefs = bpy.context.preferences.addons["cycles"].preferences
    except KeyError:
        return "CPU", "Cycles add-on preferences unavailable; rendering on CPU"
    for backend in GPU_BACKENDS:
        try:
            prefs.compute_device_type = backend
        except TypeError:  # backend not built into this bpy
            continue
        prefs.refresh_devices()
        devs = [d for d in prefs.devices if d.type == backend]
        if devs:
            for d in prefs.devices:
                d.use = d.type == backend
            return "GPU", f"Cycles on GPU via {backend}: {', '.join(d.name for d in devs)}"
    prefs.compute_device_type = "NONE"
    return "CPU", (f"device {device} requested but no GPU found (tried {'/'.join(GPU_BACKENDS)}); "
                   "Cycles renders on CPU")
