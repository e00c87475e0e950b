#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `just test-slurm` (host/tests/slurm.rs) and for
# trying `runner play --segment` under srun without a real cluster (docs/DISTRIBUTED.md).
#
#   scripts/slurm.sh install   apt-get Debian's slurm-wlm and munge when they are missing
#   scripts/slurm.sh start     write the config and a munge key into the state dir, start munged,
#                              slurmctld and slurmd, wait until the node is idle
#   scripts/slurm.sh stop      stop the three daemons (safe to call when nothing runs)
#   scripts/slurm.sh status    which daemons run, and what sinfo says
#   scripts/slurm.sh env       the line to eval so that srun/sinfo find this cluster
#
# Everything lives in one state dir, $RUNNER_SLURM_DIR (default /tmp/runner-slurm): slurm.conf,
# the munge key and socket, Slurm's state and spool, the pid files and the logs. Nothing under
# /etc is written, so the clients need SLURM_CONF=<dir>/slurm.conf (`eval "$(scripts/slurm.sh env)"`).
# Run as root (SlurmUser=root; there is no slurm user to switch to) and without systemd: the
# daemons are started directly and found again through their pid files.
set -euo pipefail

dir=${RUNNER_SLURM_DIR:-/tmp/runner-slurm}
# Not the default 6817/6818, so a system Slurm on the same machine is left alone.
ctld_port=${RUNNER_SLURM_CTLD_PORT:-16817}
slurmd_port=${RUNNER_SLURM_SLURMD_PORT:-16818}
start_timeout=${RUNNER_SLURM_START_TIMEOUT:-60}
conf=$dir/slurm.conf
daemons="slurmd slurmctld munged" # stop order: the users of munge first

die() {
    echo "slurm.sh: $*" >&2
    exit 1
}

pid_of() { # the pid of a daemon of ours that is alive, or nothing
    local f=$dir/run/$1.pid pid
    [[ -s $f ]] || return 0
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
    return 0
}

need_root() {
    [[ $(id -u) == 0 ]] || die "$1 needs root (the daemons run as root with SlurmUser=root)"
}

cmd_install() {
    local missing=0 c
    for c in munged slurmctld slurmd srun sinfo; do
        command -v "$c" >/dev/null 2>&1 || missing=1
    done
    if [[ $missing == 0 ]]; then
        echo "slurm.sh: slurm-wlm and munge are installed"
        return 0
    fi
    need_root install
    # Debian's packages, whose maintainer scripts would start the daemons through init scripts
    # where there is an init; the cluster is started by `start` instead, with its own config.
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    for c in munged slurmctld slurmd srun sinfo; do
        command -v "$c" >/dev/null 2>&1 || die "apt-get installed slurm-wlm and munge but $c is not on PATH"
    done
    echo "slurm.sh: installed $(slurmctld -V) and munge $(dpkg-query -W -f '${Version}' munge)"
}

write_config() {
    local host cpus mem_mb
    host=$(hostname -s)
    cpus=$(nproc)
    # Slurm drains a node whose RealMemory is more than it finds, so take exactly what the
    # kernel reports (slurmd -C reads the same figure).
    mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
    [[ -n $mem_mb ]] || die "no MemTotal in /proc/meminfo"
    mkdir -p "$dir"/{ctld,spool,log,run,munge}
    # munged wants its socket's dir searchable by all; the key itself stays 0400.
    chmod 0755 "$dir/munge"
    cat >"$conf" <<EOF
# Written by scripts/slurm.sh start; rewritten at every start.
ClusterName=runner
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd and no writable cgroup tree here: track a job's processes through /proc, bind
# nothing, gather no accounting (jobacct_gather/cgroup would need the cgroup plugin).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
# A test's srun should not wait minutes on a daemon that died.
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
# No mail on this machine; the default (/bin/mail) is missing and logged as an error.
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
# FORCE:8 lets up to eight jobs share each CPU, so several workers fit on a small machine.
PartitionName=runner Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
EOF
    # No cgroup.conf: nothing above loads a cgroup plugin.
    rm -f "$dir/cgroup.conf"
    if [[ ! -s $dir/munge/munge.key ]]; then
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$dir/munge/munge.key" --force
        else
            dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
        fi
    fi
    chmod 0400 "$dir/munge/munge.key"
}

fail() { # a start that did not come up: show why, and leave nothing running
    log_tails
    cmd_stop >&2
    die "$*"
}

log_tails() {
    local f
    for f in "$dir"/log/munged.log "$dir"/log/slurmctld.log "$dir"/log/slurmd.log; do
        [[ -f $f ]] || continue
        echo "--- last lines of $f" >&2
        tail -n 15 "$f" >&2
    done
}

node_state() { # what sinfo says of our node; nothing while slurmctld does not answer
    SLURM_CONF=$conf sinfo -h -N -n "$(hostname -s)" -o %T 2>/dev/null | head -1 || true
}

cmd_start() {
    need_root start
    command -v slurmctld >/dev/null 2>&1 || die "Slurm is not installed: run scripts/slurm.sh install"
    # All three up and the node idle: nothing to do. Anything less: start again from clean.
    if [[ -n $(pid_of munged) && -n $(pid_of slurmctld) && -n $(pid_of slurmd) ]] &&
        [[ $(node_state) =~ ^(idle|mixed|allocated) ]]; then
        echo "slurm.sh: already running ($(node_state)); SLURM_CONF=$conf"
        return 0
    fi
    cmd_stop >/dev/null
    write_config
    # --force: start over a socket left by a munged that was killed, and despite loose
    # permissions on a $RUNNER_SLURM_DIR someone else chose (munge(8): warnings, not errors).
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket.2" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munge.seed" || fail "munged did not start"
    # -c: forget jobs of an earlier cluster in this dir; -i: ignore state that does not fit.
    slurmctld -c -i -f "$conf" || fail "slurmctld did not start"
    slurmd -c -f "$conf" || fail "slurmd did not start"
    local t0=$SECONDS state=
    while ((SECONDS - t0 < start_timeout)); do
        state=$(node_state)
        if [[ $state == idle ]]; then
            echo "slurm.sh: node $(hostname -s) idle after $((SECONDS - t0)) s; SLURM_CONF=$conf"
            return 0
        fi
        sleep 0.5
    done
    fail "node $(hostname -s) not idle after ${start_timeout} s (sinfo says '${state:-nothing}'); logs in $dir/log"
}

cmd_stop() {
    local d pid i
    for d in $daemons; do
        pid=$(pid_of "$d")
        [[ -n $pid ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "slurm.sh: $d ($pid) still running after 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/run/$d.pid"
        echo "slurm.sh: stopped $d ($pid)"
    done
}

cmd_status() {
    local d pid rc=0
    for d in munged slurmctld slurmd; do
        pid=$(pid_of "$d")
        if [[ -n $pid ]]; then
            echo "$d: running ($pid)"
        else
            echo "$d: not running"
            rc=3
        fi
    done
    if [[ $rc == 0 ]]; then
        SLURM_CONF=$conf sinfo -N -l || rc=$?
    fi
    return "$rc"
}

case ${1:-} in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) echo "export SLURM_CONF=$conf" ;;
*) die "usage: scripts/slurm.sh install|start|stop|status|env" ;;
esac
