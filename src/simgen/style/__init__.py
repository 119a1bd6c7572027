"""Style transfer: make renders look like a lab's real video without moving any pixel that a label depends on.

Modules:
  data.py      synthetic frames with masks, crops at the animal's native scale (real
               frames come from ``simgen.video``)
  classic.py   the classic method: image statistics fitted to the real video (numpy + OpenCV)
  networks.py  ResNet generator (reflect padding, InstanceNorm, residual output), 70x70
               PatchGAN, PatchNCE projection head (torch)
  losses.py    LSGAN, PatchNCE, mask-band Sobel edge loss, low-frequency luminance term
  cyclegan.py  CycleGAN training step; fastcut.py  one-sided FastCUT training step
  train.py     ``train_style``: fit/train a model directory, checkpoints, resume, sheet
  apply.py     ``apply_style``: translate a dataset into a new dataset dir, per-frame gate
  metrics.py   KID on two offline feature sets, C2ST, SSIM, flow drift, silhouette IoU
  model.py     the model directory (``style.json`` + weights) and loading a translator

To add a method: add its name to ``METHODS`` in model.py, a training function in its
own module dispatched from train.py, and a translator returned by ``load_translator``.
torch is imported lazily inside the learned-method modules, so the classic path and
``simgen --help`` never pay for it.
"""
