"""Is the simulation good enough? Label-free gauges on a lab's own video.

- ``estimate``: a per-frame, label-free accuracy estimate of a pose model (flip and
  shift consistency, heatmap peak confidence, head/tail order, temporal jumps).
- ``embed``: image embeddings (the pose model's encoder, or a fixed random CNN).
- ``coverage``: nearest-render distances of real frames, a 2-D PCA map.
- ``behavior``: where the animal is and how it is oriented, real (tracked) vs synthetic.
- ``realism``: a real-vs-synthetic classifier on full frames and animal crops.
- ``suggest``: the frames most worth labeling, written as a DeepLabCut project.
- ``analyze``: all of them for one video and dataset, as one typed ``GapResult``.
- ``report``: gap.json, a static report.html, and the gap in a few numbers (``GapNumbers``,
  whose fields are the names a sweep's table and results.csv use).
"""
