#!/usr/bin/env bash
# Stop the daemons slurm-up.sh started (by their pid files), after cancelling jobs.
set -u
STATE=${SIMGEN_SLURM_STATE:-/tmp/simgen-slurm}
scancel --user="$(id -un)" >/dev/null 2>&1 || true
pids=()
for f in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$STATE/munged.pid"; do
  [ -s "$f" ] && pids+=("$(cat "$f")")
done
[ ${#pids[@]} -eq 0 ] && exit 0
kill "${pids[@]}" 2>/dev/null || true
for _ in $(seq 1 20); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive -eq 0 ] && { rm -f "$STATE"/*.pid; exit 0; }
  sleep 0.5
done
kill -9 "${pids[@]}" 2>/dev/null || true
rm -f "$STATE"/*.pid
exit 0
