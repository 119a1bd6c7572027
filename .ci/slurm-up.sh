#!/usr/bin/env bash
# Start a single-node Slurm cluster on this machine (as root): munged, slurmctld, slurmd.
# Installs Debian's slurm-wlm and munge if missing. Idempotent; prints the state dir.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then echo "slurm-up: needs root" >&2; exit 1; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
STATE=${SIMGEN_SLURM_STATE:-/tmp/simgen-slurm}
mkdir -p "$STATE"/{spool,state,log} /etc/slurm /run/munge /var/lib/munge /var/log/munge
chown -R munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
if pgrep -x slurmctld >/dev/null && pgrep -x slurmd >/dev/null && pgrep -x munged >/dev/null; then
  echo "$STATE"; exit 0  # already up: leave its configuration alone
fi
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=simgen
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherParams=OverMemoryKill
JobAcctGatherFrequency=2
MpiDefault=none
KillWait=5
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
# --force: start even if a killed munged left its socket or lock behind
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged --force 2>/dev/null || /usr/sbin/munged --force
# munged daemonizes: its own pid file names the daemon, not the process we started
for _ in $(seq 1 25); do [ -s /run/munge/munged.pid ] && break; sleep 0.2; done
cp /run/munge/munged.pid "$STATE/munged.pid" 2>/dev/null || true
if ! munge -n </dev/null >/dev/null 2>&1; then echo "slurm-up: munged is not answering" >&2; exit 1; fi
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    echo "$STATE"; exit 0
  fi
  scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm-up: the node did not become idle; see $STATE/log" >&2
sinfo >&2 || true
exit 1
