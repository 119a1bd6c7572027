"""Scaling renders out: shard specs, executors (local processes, Slurm), the farm ledger.

Every shard is a ``simgen render --shard i/N`` of the same scene into the same
directory; the dataset's atomic per-frame files make shards, retries and resumes safe.
To add an executor (e.g. another scheduler): a class in ``executors.py`` with
``submit(shards, ...) -> job ids`` and ``state(job_id)``, and its name in ``EXECUTORS``.
"""
