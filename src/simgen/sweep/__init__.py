"""Domain-randomization experiments: ``simgen sweep`` runs arms (scene overrides, frame
counts, style, training settings) x seeds through render -> style -> train -> evaluate
and reports accuracy on real labeled frames (and, with ``gap:`` in the sweep file, the
label-free ``simgen gap`` numbers of each arm on the real video).

Modules: ``spec`` (the sweep file and its arms), ``stages`` (the content-addressed
stage store), ``runner`` (one arm x seed, results.csv rows), ``execute`` (all arms,
locally or as Slurm jobs), ``results`` (per-frame predictions and labels read back
from the stages), ``analysis`` (intervals, sanity checks and verdicts in ``compare``, their sentences in
``words``: pure numbers), ``figures`` (SVG charts, frame panels) and ``report``
(report.html). To add a stage kind, add it to ``stages.KINDS``, write its work as a
``runner.<kind>_stage(folder, ...)`` returning its record, and run it with
``StageStore.run`` from ``runner.run_arm`` with every input that changes its output.
"""
