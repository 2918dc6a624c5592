#!/usr/bin/env bash
# Bring up a single-node Docker Swarm for the harness tests, idempotently.
#
#  - installs Debian's docker.io and busybox-static when missing, and
#    openssh-server (the ssh:// remote-manager tests run an sshd on loopback);
#  - starts dockerd when it is not answering (a stale pid file is removed first);
#  - runs `docker swarm init` only when `docker info` says the swarm is inactive
#    (a kept /var/lib/docker may bring the swarm up already active);
#  - imports a busybox image (no registry is reachable) only when it is missing.
#
# Environment: HARNESS_TEST_IMAGE (default compose-policy-test/busybox:latest),
#              DOCKERD_LOG (default /tmp/dockerd.log).
set -euo pipefail

IMAGE="${HARNESS_TEST_IMAGE:-compose-policy-test/busybox:latest}"
DOCKERD_LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"

log() { printf 'swarm-up: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# --- packages -----------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
{ command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; } || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # shellcheck disable=SC2046
    as_root apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

# --- dockerd ------------------------------------------------------------------
daemon_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! daemon_up; then
    pidfile="${DOCKERD_PIDFILE:-/var/run/docker.pid}"
    if [ -f "$pidfile" ]; then
        pid="$(cat "$pidfile" 2>/dev/null || true)"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            log "dockerd (pid $pid) is starting; waiting for it"
        else
            log "removing stale $pidfile"
            as_root rm -f "$pidfile"
        fi
    fi
    if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
        log "starting dockerd (log: $DOCKERD_LOG)"
        as_root sh -c "nohup dockerd >'$DOCKERD_LOG' 2>&1 </dev/null &"
    fi
    for _ in $(seq 1 120); do
        daemon_up && break
        sleep 0.5
    done
    if ! daemon_up; then
        log "dockerd did not come up within 60s; last log lines:"
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
fi
log "dockerd $(docker version --format '{{.Server.Version}}') is up"

# --- swarm --------------------------------------------------------------------
state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
case "$state" in
    active) log "swarm already active" ;;
    inactive)
        log "initialising swarm"
        docker swarm init --advertise-addr 127.0.0.1 >/dev/null
        ;;
    *)
        # pending/error/locked: start again from a clean single-node swarm
        log "swarm in state '$state'; re-initialising"
        docker swarm leave --force >/dev/null 2>&1 || true
        docker swarm init --advertise-addr 127.0.0.1 >/dev/null
        ;;
esac
for _ in $(seq 1 60); do
    [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] && break
    sleep 0.5
done

# --- test image ---------------------------------------------------------------
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
else
    log "importing $IMAGE from /bin/busybox"
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    for applet in sh sleep httpd wget cat echo head dd ls ps kill true false env date; do
        ln -s busybox "$root/bin/$applet"
    done
    chmod 1777 "$root/tmp"
    echo ok >"$root/www/index.html"
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" -c . | docker import \
        --change 'ENV PATH=/bin' \
        --change 'CMD ["sh"]' \
        - "$IMAGE" >/dev/null
fi
log "ready: swarm active, image $IMAGE"
