"""The numbers behind a sweep report, and the sentences that follow from them.

Pure functions of per-frame errors (no files, no plotting), so they can be tested with
synthetic tables. Inputs per arm: the pixel distances between prediction and label for
every real labeled frame and keypoint, one table per seed (NaN where unlabeled), the
predictions themselves (for the degenerate-model checks) and what the arm trained on.

- Point estimates: per seed, the metric over all frames and keypoints; per arm, the mean
  over seeds.
- Intervals: a percentile bootstrap (fixed rng seed, so a page is reproducible) that
  resamples the test frames (the same draw for every arm: the comparison is paired) and,
  independently per arm, the seeds. The difference from the baseline is computed per
  draw, so its interval is of the difference, not of two overlapping bars.
- Verdicts: an arm is better / worse than the baseline when the difference's 95 %
  interval excludes 0, otherwise "not distinguishable at this size". With one seed the
  interval covers only the test frames (training-run variation is unknown) and every
  sentence says so.
- Sanity first: a model whose predictions collapse to one spot, lie off the animal
  (median error above the animal's size) or almost never hit (PCK@10 under 5 %), or that
  is no better than always predicting the mean training label position, is flagged and
  left out of the ranking; arms that trained on other frame counts or step counts than
  the baseline (when the arm did not ask for that) are flagged as confounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simgen.choices import Lead, Metric, Verdict
from simgen.gap.report import GAP_NUMBERS  # the label-free numbers a report shows per arm
from simgen.pose.metrics import metric, metric_values

# name shown, lower is better, unit
METRICS: dict[Metric, tuple[str, bool, str]] = {
    "mean_error": ("mean error", True, "px"),
    "rmse": ("RMSE", True, "px"),
    "median_error": ("median error", True, "px"),
    "pck5": ("PCK@5", False, "%"),
    "pck10": ("PCK@10", False, "%"),
}
BASELINE = "baseline"
LEVEL = 0.95
PCK_FLOOR = 0.05  # PCK@10 below this: "near zero"
COLLAPSE = 0.15  # predicted spread below this fraction of the labels' spread (or of the animal): collapsed


@dataclass
class ArmData:
    """What the analysis needs of one arm (all seeds evaluated on the same real frames)."""

    name: str
    dist: np.ndarray  # (S, N, K) pixel distances, NaN where a keypoint is unlabeled
    seeds: list[int]
    pred: np.ndarray | None = None  # (S, N, K, 2) predictions in the real images' pixels
    train_frames: list[int | None] = field(default_factory=list)  # per seed, after the style gate
    steps: list[int | None] = field(default_factory=list)  # per seed, training steps done
    frames: int | None = None  # frames the arm asked for
    cfg_steps: int | None = None  # steps the arm asked for
    failed: int = 0  # seeds that failed (not in dist)


@dataclass
class Interval:
    value: float
    lo: float
    hi: float


@dataclass
class ArmResult:
    name: str
    seeds: list[int]
    values: dict[str, float]  # metric -> mean over seeds
    per_seed: dict[str, list[float]]  # metric -> one value per seed
    interval: Interval  # of the chart metric
    diff: Interval | None  # arm minus baseline, chart metric
    verdict: Verdict
    flags: list[str]  # why the model is degenerate (empty: it learned something)
    confounds: list[str]
    sentence: str

    @property
    def usable(self) -> bool:
        return not self.flags


@dataclass
class Analysis:
    metric: str
    arms: list[ArmResult]
    scale_px: float | None  # typical animal size in the real frames
    trivial: dict[str, float] | None  # metrics of "always predict the mean training label position"
    lead: Lead
    headline: str
    warnings: list[str]  # shown before any ranking
    notes: list[str]  # scale, metric disagreement, seeds
    n_frames: int
    n_boot: int
    answer: str = ""  # the ranking of the comparable arms ("" when none can be compared)

    def arm(self, name: str) -> ArmResult:
        return next(a for a in self.arms if a.name == name)


# -- metrics ---------------------------------------------------------------------------------


def animal_scale(gt: np.ndarray) -> float | None:
    """Typical animal size in px: the median over frames of the largest distance between two
    labeled keypoints (snout to tail base for the open-field labels)."""
    sizes = []
    for frame in gt:
        xy = frame[frame[:, 2] > 0, :2]
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) >= 2:
            sizes.append(float(np.max(np.linalg.norm(xy[:, None] - xy[None], axis=-1))))
    return float(np.median(sizes)) if sizes else None


def distances(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(..., N, K) distances of predictions (..., N, K, 2) to labels (N, K, 3); NaN where unlabeled."""
    d = np.linalg.norm(pred - gt[..., :2], axis=-1)
    return np.where(gt[..., 2] > 0, d, np.nan)


def trivial_prediction(mean_norm: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """(N, K, 2): the mean training label position (K, 2, as fractions of the image's width and
    height) placed in each real frame of size (N, 2) = (width, height)."""
    return np.asarray(mean_norm, float)[None] * np.asarray(sizes, float)[:, None, :]


# -- bootstrap -------------------------------------------------------------------------------


def _draws(dist: np.ndarray, metric_name: str, frame_idx: np.ndarray, seed_idx: np.ndarray) -> np.ndarray:
    """(B,) bootstrap values: per draw, the metric over the drawn frames, averaged over the drawn seeds."""
    s = dist.shape[0]
    per_seed = metric_values(dist[:, frame_idx].reshape(s, len(frame_idx), -1), metric_name)  # (S, B)
    with np.errstate(all="ignore"):
        return np.nanmean(per_seed[seed_idx, np.arange(len(frame_idx))[:, None]], axis=1)


def _interval(draws: np.ndarray, value: float) -> Interval:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return Interval(value, float("nan"), float("nan"))
    a = (1 - LEVEL) / 2
    return Interval(value, float(np.quantile(draws, a)), float(np.quantile(draws, 1 - a)))


# -- checks ----------------------------------------------------------------------------------


def _spread(xy: np.ndarray) -> float:
    """Root of the summed variance of points (M, 2) (NaN rows ignored)."""
    xy = xy[np.isfinite(xy).all(axis=1)]
    return float(np.sqrt(xy.var(axis=0).sum())) if len(xy) > 1 else float("nan")


def degenerate_flags(arm: ArmData, gt: np.ndarray, scale: float | None,
                     trivial: dict[str, float] | None, values: dict[str, float]) -> list[str]:
    """Plain reasons why this arm's model did not learn to find the animal (empty: none)."""
    flags = []
    if arm.pred is not None and arm.pred.size:
        # the same spot in every frame: predictions barely move while the labels do
        lab = np.nanmedian([_spread(np.where(gt[:, j, 2:3] > 0, gt[:, j, :2], np.nan)) for j in range(gt.shape[1])])
        prd = np.nanmedian([_spread(arm.pred[s, :, j]) for s in range(len(arm.pred)) for j in range(gt.shape[1])])
        # one spot for every keypoint of a frame: the predicted skeleton has no size
        ext = []
        for p in arm.pred.reshape(-1, *arm.pred.shape[2:]):
            p = p[np.isfinite(p).all(axis=1)]
            if len(p) >= 2:
                ext.append(float(np.max(np.linalg.norm(p[:, None] - p[None], axis=-1))))
        extent = float(np.median(ext)) if ext else float("nan")
        if np.isfinite(lab) and lab > 0 and prd < COLLAPSE * lab:
            flags.append(f"predictions barely move between frames (spread {prd:.1f} px against {lab:.1f} px "
                         "for the labels)")
        if scale and np.isfinite(extent) and extent < COLLAPSE * scale:
            flags.append(f"all keypoints of a frame predicted at one spot (within {extent:.1f} px; the animal is "
                         f"about {scale:.0f} px)")
    med = values.get("median_error")
    if scale and med is not None and np.isfinite(med) and med > scale:
        flags.append(f"predictions off the animal (median error {med:.0f} px, more than the animal's "
                     f"{scale:.0f} px)")
    pck = values.get("pck10")
    if pck is not None and np.isfinite(pck) and pck < PCK_FLOOR:
        flags.append(f"PCK@10 near zero ({pck:.0%})")
    me = values.get("mean_error")
    if trivial and me is not None and np.isfinite(me) and me >= trivial["mean_error"]:
        flags.append(f"no better than always predicting the mean training position (mean error {me:.1f} px "
                     f"against {trivial['mean_error']:.1f} px)")
    return flags


def _known(xs: list[int | None]) -> list[int]:
    return [x for x in xs if x is not None]


def confounds(arm: ArmData, base: ArmData | None, ref: str = "the baseline") -> list[str]:
    """Differences in what the arm trained on that its definition does not explain."""
    out = []
    tf, st = _known(arm.train_frames), _known(arm.steps)
    if len(set(tf)) > 1:
        out.append(f"its seeds trained on different frame counts ({', '.join(map(str, tf))})")
    if len(set(st)) > 1:
        out.append(f"its seeds trained for different step counts ({', '.join(map(str, st))})")
    if base is None or base is arm:
        if arm.frames is not None and tf and max(tf) < arm.frames:
            out.append(f"trained on {_count(tf)} of its {arm.frames} rendered frames (the style gate dropped "
                       f"{arm.frames - min(tf)})")
        return out
    btf, bst = _known(base.train_frames), _known(base.steps)
    if tf and btf and set(tf) != set(btf):
        why = "" if arm.frames != base.frames else " although both rendered " + str(arm.frames)
        dropped = ""
        if arm.frames is not None and max(tf) < arm.frames:
            dropped = f"; the style gate dropped {arm.frames - min(tf)} of {arm.frames}"
        if arm.frames == base.frames or dropped:
            out.append(f"trained on {_count(tf)} frames against {_count(btf)} for {ref}{why}{dropped}")
    if st and bst and set(st) != set(bst) and arm.cfg_steps == base.cfg_steps:
        out.append(f"trained for {_count(st)} steps against {_count(bst)} for {ref}")
    return out


def _count(xs: list[int]) -> str:
    lo, hi = min(xs), max(xs)
    return str(lo) if lo == hi else f"{lo}-{hi}"


# -- sentences -------------------------------------------------------------------------------


def fmt(value: float | None, name: str, signed: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    if METRICS[name][2] == "%":
        v = value * 100
        return (f"{v:+.1f}" if signed else f"{v:.1f}") + (" points" if signed else "%")
    return (f"{value:+.1f}" if signed else f"{value:.1f}") + " px"


def _seed_note(n: int) -> str:
    return (" (one seed: no spread over training runs; the interval covers the test frames only)"
            if n == 1 else "")


def _sentence(r: ArmResult, base: ArmResult | None, name: str, ref: str = "the baseline") -> str:
    label = METRICS[name][0]
    seeds = _seed_note(len(r.seeds))
    if not r.seeds:
        return f"{r.name}: no result (every seed failed)."
    if r.verdict == "baseline":
        s = (f"{r.name}: {label} {fmt(r.interval.value, name)} (95% interval {fmt(r.interval.lo, name)} to "
             f"{fmt(r.interval.hi, name)}){seeds}.")
        if r.flags:
            s += " Degenerate model: " + "; ".join(r.flags) + ". No arm can be compared with it."
    elif r.verdict == "not compared":
        if r.flags:
            why = "the model is degenerate: " + "; ".join(r.flags)
        else:
            why = f"{ref} is degenerate" if base is not None and base.seeds else f"there is no result for {ref}"
        s = f"{r.name}: not compared, {why}."
    else:
        assert r.diff is not None and base is not None
        d = (f"{label} {fmt(r.values[name], name)} against {fmt(base.values[name], name)}, difference "
             f"{fmt(r.diff.value, name, True)} (95% interval {fmt(r.diff.lo, name, True)} to "
             f"{fmt(r.diff.hi, name, True)}){seeds}")
        if r.verdict == "indistinguishable":
            s = f"{r.name} is not distinguishable from {ref} at this size: {d}."
        else:
            s = f"{r.name} is {r.verdict} than {ref}: {d}."
    if r.confounds:
        s += " Confounded: " + "; ".join(r.confounds) + "."
    return s


def _verdict(diff: Interval, name: str) -> Verdict:
    if not (np.isfinite(diff.lo) and np.isfinite(diff.hi)):
        return "indistinguishable"
    lower_better = METRICS[name][1]
    if diff.hi < 0:
        return "better" if lower_better else "worse"
    if diff.lo > 0:
        return "worse" if lower_better else "better"
    return "indistinguishable"


def _order_notes(results: list[ArmResult]) -> list[str]:
    """Where the metrics rank the compared arms differently, say so."""
    arms = [r for r in results if r.usable and r.seeds]
    if len(arms) < 2:
        return []
    orders = {}
    for m, (label, lower, _) in METRICS.items():
        vals = [(r.values[m] if lower else -r.values[m], r.name) for r in arms]
        if all(np.isfinite(v) for v, _ in vals):
            orders[label] = [n for _, n in sorted(vals)]
    distinct: dict[tuple, list[str]] = {}
    for label, order in orders.items():
        distinct.setdefault(tuple(order), []).append(label)
    if len(distinct) < 2:
        return []
    parts = [f"{' and '.join(labels)} rank {', '.join(order)}" for order, labels in distinct.items()]
    return ["The metrics disagree on the order (best first): " + "; ".join(parts) + ". The differences between "
            "these arms depend on what is measured."]


# -- the analysis ----------------------------------------------------------------------------


def reference(baseline: str) -> str:
    """How sentences name the arm every other arm is compared with."""
    return "the baseline" if baseline == BASELINE else f"the reference arm {baseline}"


@dataclass
class Comparison:
    """What the numbers say about a sweep's arms, before any words (``ArmResult.sentence`` is
    still empty): per arm its values, interval, difference from the baseline, verdict, flags."""

    metric: Metric
    arms: list[ArmResult]
    baseline: str
    has_baseline: bool  # an arm of that name exists
    baseline_usable: bool  # it has results and its model is not degenerate
    scale_px: float | None  # typical animal size in the real frames
    trivial: dict[str, float] | None  # metrics of "always predict the mean training label position"
    failed: dict[str, int]  # arm -> seeds that failed (only arms with failures)
    n_frames: int
    n_boot: int

    @property
    def degenerate(self) -> list[ArmResult]:
        return [r for r in self.arms if r.flags]

    @property
    def lead(self) -> Lead:
        """The page leads with a warning when a model is degenerate or nothing can be compared."""
        return "warning" if self.degenerate or not self.baseline_usable else "ranking"

    def with_verdict(self, verdict: Verdict) -> list[str]:
        """Names of the arms compared with the baseline that got ``verdict``, in arm order."""
        return [r.name for r in self.arms if r.verdict == verdict]


def compare(arms: list[ArmData], gt: np.ndarray, *, metric_name: Metric = "mean_error",
            trivial_pred: np.ndarray | None = None, baseline: str = BASELINE, n_boot: int = 2000,
            rng_seed: int = 0) -> Comparison:
    """Intervals, checks and verdicts of a sweep's arms; ``gt`` (N, K, 3) are the real labels."""
    if metric_name not in METRICS:
        raise ValueError(f"unknown metric {metric_name!r}; choices: {', '.join(METRICS)}")
    gt = np.asarray(gt, float)
    n = gt.shape[0]
    rng = np.random.default_rng(rng_seed)
    frame_idx = rng.integers(0, n, size=(n_boot, n)) if n else np.zeros((n_boot, 0), int)
    scale = animal_scale(gt)
    trivial = None
    if trivial_pred is not None:
        td = distances(np.asarray(trivial_pred, float), gt)
        trivial = {m: metric(td, m) for m in METRICS}
    base_data = next((a for a in arms if a.name == baseline), None)
    ref = reference(baseline)

    # per arm: values per seed, bootstrap draws of the chart metric, checks
    draws: dict[str, np.ndarray] = {}
    partial: list[tuple[ArmData, dict, dict, Interval, list[str], list[str]]] = []
    for a in arms:
        s = len(a.seeds)
        per_seed = {m: [metric(a.dist[i], m) for i in range(s)] for m in METRICS}
        values = {m: (float(np.nanmean(v)) if v and np.isfinite(v).any() else float("nan"))
                  for m, v in per_seed.items()}
        if s:
            seed_idx = rng.integers(0, s, size=(n_boot, s))
            draws[a.name] = _draws(np.asarray(a.dist, float), metric_name, frame_idx, seed_idx)
            interval = _interval(draws[a.name], values[metric_name])
        else:
            interval = Interval(float("nan"), float("nan"), float("nan"))
        flags = degenerate_flags(a, gt, scale, trivial, values) if s else []
        partial.append((a, per_seed, values, interval, flags, confounds(a, base_data, ref)))

    base_usable = base_data is not None and bool(base_data.seeds) and not next(
        p[4] for p in partial if p[0] is base_data)
    base_value = next((p[2][metric_name] for p in partial if p[0] is base_data), float("nan"))
    results = []
    for a, per_seed, values, interval, flags, conf in partial:
        diff = None
        if a is base_data:
            verdict: Verdict = "baseline"
        elif not a.seeds or flags or not base_usable:
            verdict = "not compared"
        else:
            diff = _interval(draws[a.name] - draws[baseline], values[metric_name] - base_value)
            verdict = _verdict(diff, metric_name)
        results.append(ArmResult(a.name, list(a.seeds), values, per_seed, interval, diff, verdict, flags, conf, ""))
    return Comparison(metric_name, results, baseline, base_data is not None, base_usable, scale, trivial,
                      {a.name: a.failed for a in arms if a.failed}, n, n_boot)


def _warning_headline(c: Comparison, ref: str) -> str:
    """What a page that leads with a warning says first."""
    bad = c.degenerate
    if not bad:  # no degenerate model, but nothing to compare with
        return f"No answer: {ref} has no result, so no arm can be compared with it."
    names = ", ".join(r.name for r in bad)
    base = next((r for r in c.arms if r.name == c.baseline), None)
    if len(bad) == len(c.arms):
        return ("No answer: every model is degenerate, so this run cannot tell which arm is better. "
                "Train longer or on more frames before reading any ranking.")
    if base is not None and base.flags:
        return f"No answer: {ref}'s model is degenerate, so no arm can be compared with it (degenerate: {names})."
    return f"Partial answer: {len(bad)} of {len(c.arms)} models are degenerate ({names}) and are left out of the ranking."


def _warnings(c: Comparison) -> list[str]:
    """Shown before any ranking: degenerate models, no baseline, failed seeds, confounds."""
    out = [f"{r.name}: " + "; ".join(r.flags) + "." for r in c.degenerate]
    if not c.has_baseline:
        out.append(f"No arm named {c.baseline!r}: nothing to compare the arms with.")
    out.extend(f"{name}: {k} seed(s) failed and are missing from its numbers." for name, k in c.failed.items())
    out.extend(f"{r.name} is confounded: " + "; ".join(r.confounds) + "." for r in c.arms if r.confounds and r.usable)
    return out


def _answer(c: Comparison, ref: str) -> str:
    """The ranking of the arms that can be compared, also under a warning ("" when none can)."""
    if not c.baseline_usable:
        return ""
    better, worse, same = c.with_verdict("better"), c.with_verdict("worse"), c.with_verdict("indistinguishable")
    parts = []
    if better:
        parts.append(f"better than {ref}: {', '.join(better)}")
    if worse:
        parts.append(f"worse: {', '.join(worse)}")
    if same:
        parts.append(f"not distinguishable at this size: {', '.join(same)}")
    if parts:
        answer = "; ".join(parts) + f" (on {METRICS[c.metric][0]}, 95% intervals over test frames and seeds)."
    elif c.lead == "ranking":
        answer = f"Only {ref} ran: nothing to compare."
    else:
        return ""
    answer = answer[0].upper() + answer[1:]
    if any(len(r.seeds) == 1 for r in c.arms if r.usable):
        answer += " One seed: no spread over training runs, so a difference may be seed noise."
    return answer


def _notes(c: Comparison) -> list[str]:
    """The scale of the errors, and where the metrics disagree on the order."""
    notes = []
    if c.scale_px is not None:
        t = (f"; always predicting the mean training label position gives a mean error of "
             f"{c.trivial['mean_error']:.1f} px") if c.trivial else ""
        notes.append(f"For scale: the animal is about {c.scale_px:.0f} px long in the real frames (largest distance "
                     f"between two labeled keypoints, median over {c.n_frames} frames){t}.")
    return notes + _order_notes(c.arms)


def words(c: Comparison) -> Analysis:
    """The sentences of a comparison: per arm, the headline, warnings, the answer and notes."""
    ref = reference(c.baseline)
    base = next((r for r in c.arms if r.name == c.baseline), None)
    for r in c.arms:
        r.sentence = _sentence(r, base, c.metric, ref)
    answer = _answer(c, ref)
    headline = answer if c.lead == "ranking" else _warning_headline(c, ref)
    return Analysis(c.metric, c.arms, c.scale_px, c.trivial, c.lead, headline, _warnings(c), _notes(c), c.n_frames,
                    c.n_boot, answer)


def analyze(arms: list[ArmData], gt: np.ndarray, *, metric_name: Metric = "mean_error",
            trivial_pred: np.ndarray | None = None, baseline: str = BASELINE, n_boot: int = 2000,
            rng_seed: int = 0) -> Analysis:
    """Intervals, checks, verdicts (``compare``) and their sentences (``words``)."""
    return words(compare(arms, gt, metric_name=metric_name, trivial_pred=trivial_pred, baseline=baseline,
                         n_boot=n_boot, rng_seed=rng_seed))


# -- the gap stage's numbers against the accuracy ---------------------------------------------



def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class GapAgreement:
    """Do the label-free gap numbers order the arms as the accuracy does? Gap numbers by their
    ``GapNumbers`` field name, in ``GAP_NUMBERS`` order."""

    metric: Metric
    accuracy_order: list[str]  # the arms, best accuracy first
    agree: list[str]  # no pair of arms ordered the other way round (ties do not count against)
    differ: dict[str, list[str]]  # number -> the arms in its order, lowest first
    flat: list[str]  # the same for every arm: does not separate them


def gap_orders(metric_name: Metric, accuracy: dict[str, float], gap: dict[str, dict[str, float | None]],
               ) -> GapAgreement | None:
    """``accuracy``: arm -> the metric (mean over seeds); ``gap``: arm -> gap number -> value
    (mean over seeds). None when fewer than two arms have both, or no gap number has two arms."""
    _, lower, _ = METRICS[metric_name]
    arms = [a for a, v in accuracy.items() if v is not None and np.isfinite(v) and a in gap]
    if len(arms) < 2:
        return None

    def order(values: dict[str, float], low: bool) -> list[str]:
        return sorted(values, key=lambda a: values[a] if low else -values[a])

    acc = {a: accuracy[a] for a in arms}
    out = GapAgreement(metric_name, order(acc, lower), [], {}, [])
    for key, (_, _, low) in GAP_NUMBERS.items():
        if low is None:
            continue
        vals = {a: gap[a].get(key) for a in arms}
        vals = {a: float(v) for a, v in vals.items() if v is not None and np.isfinite(v)}
        if len(vals) < 2:
            continue
        span = max(vals.values()) - min(vals.values())
        if span <= 1e-9 * max(1.0, *map(abs, vals.values())):
            out.flat.append(key)
            continue
        sign = 1 if lower else -1  # +1: the accuracy's order is ascending
        discordant = any(
            sign * (acc[a] - acc[b]) * (vals[a] - vals[b]) < 0 for a in vals for b in vals if a < b)
        if discordant:
            out.differ[key] = order(vals, True)
        else:
            out.agree.append(key)
    return out if out.agree or out.differ or out.flat else None


def gap_sentence(g: GapAgreement | None) -> str:
    """``gap_orders`` in one sentence ("" for None)."""
    if g is None:
        return ""

    def name(key: str) -> str:
        return GAP_NUMBERS[key][0]

    agree, flat = [name(k) for k in g.agree], [name(k) for k in g.flat]
    s = (f"Label-free gap numbers against the accuracy: {METRICS[g.metric][0]} ranks the arms "
         f"{', '.join(g.accuracy_order)} (best first)")
    if agree:
        s += f"; {_join(agree)} {'ranks' if len(agree) == 1 else 'rank'} them the same way"
    if g.differ:
        s += "; " + "; ".join(f"{name(k)} ranks them {', '.join(o)}" for k, o in g.differ.items())
    if flat:
        s += f"; {_join(flat)} {'does' if len(flat) == 1 else 'do'} not separate them"
    return s + "."


def gap_agreement(metric_name: Metric, accuracy: dict[str, float], gap: dict[str, dict[str, float | None]]) -> str:
    """One sentence: do the label-free gap numbers order the arms as the accuracy does?

    A gap number agrees when no pair of arms is ordered the other way round (ties in it do
    not count against it); it "does not separate" the arms when it is the same for all. ""
    when fewer than two arms have both."""
    return gap_sentence(gap_orders(metric_name, accuracy, gap))
