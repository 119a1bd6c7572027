"""Scaling renders out: executors (local processes, Slurm, both through submitit), the farm ledger.

Every shard is a ``simgen render --shard i/N`` of the same scene into the same
directory (the shard maths is ``simgen.dataset.shards``); the dataset's atomic per-frame
files make shards, retries and resumes safe. To add an executor (e.g. another scheduler):
its name in ``simgen.choices.Executor`` and a branch in ``executors.make_executor`` that
returns a submitit executor; ``executors.slurm_state`` reads a job's state.
"""
