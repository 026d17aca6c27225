#!/bin/bash
# The image's HEALTHCHECK (docker run, docker compose; ECS and Kubernetes use their own checks: the
# NLB's /readyz, the pod's probes). One bash process, no Node: it opens the admin port with bash's
# /dev/tcp, asks for /healthz and succeeds only on HTTP 200. PASSAGE_ADMIN_PORT: another admin port.
port="${PASSAGE_ADMIN_PORT:-9565}"
case "$port" in ''|*[!0-9]*) exit 1 ;; esac
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
