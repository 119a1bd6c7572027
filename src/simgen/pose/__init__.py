"""The bundled pose trainer: a small heatmap model that closes the loop on real labels.

Modules, one job each:
- ``config``: the pydantic training config (``configs/pose/*.yaml``).
- ``heatmaps``: keypoints <-> Gaussian heatmaps + sub-pixel offset maps.
- ``model``: the encoder-decoder network and the saved-model bundle.
- ``data``: label sources (simgen datasets, DeepLabCut, SLEAP), letterboxing, mixing.
- ``augment``: joint image + keypoint augmentation with kornia.
- ``train`` / ``evaluate`` / ``predict``: what the ``simgen pose`` commands call.
- Several animals per image (top-down): ``topdown`` (crops per animal, matching, the
  find-crop-pose path), ``finder`` (the finding stage: animal centres and box sizes on
  the whole image), ``predict_animals`` (``simgen pose predict`` of a top-down model).

- ``metrics``: mean error, RMSE, median, PCK of keypoint distances (pure numpy; the sweep
  reads it too).

Every other module here imports torch at the top; ``simgen.commands.pose`` imports them
only inside its functions so ``simgen --help`` stays instant.

Coordinates follow simgen and DeepLabCut: pixel centers at integer coordinates.
"""
