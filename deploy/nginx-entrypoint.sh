#!/bin/sh
# The nginx image's entry point: renders deploy/nginx.conf.template for this deployment, runs nginx,
# and reloads it when the address of an upstream changes.
#
# nginx 1.22 (Debian 12) resolves `rasa` and `console` once, when it loads its configuration; a
# container that restarts may come back with another address (podman gives a new one), and nginx
# would keep sending to the old one. nginx 1.27.3+ re-resolves by itself (`resolve`), Debian 12's
# does not: every 5 s this script asks the container DNS, and reloads nginx (no dropped connection)
# when every name resolves and one address changed.
#
# Environment: BOT_SERVER_NAME, CONSOLE_SERVER_NAME; RASA_UPSTREAMS (space-separated host:port,
# default rasa:5005); CONSOLE_UPSTREAM (default console:5020).
set -eu
conf=/etc/nginx/coopsante.conf
rasa_upstreams=${RASA_UPSTREAMS:-rasa:5005}
console_upstream=${CONSOLE_UPSTREAM:-console:5020}
set --
for upstream in $rasa_upstreams; do set -- "$@" --rasa "$upstream"; done
python3 /etc/coopsante/render_nginx.py production --bot-server-name "$BOT_SERVER_NAME" \
  --console-server-name "$CONSOLE_SERVER_NAME" --console "$console_upstream" "$@" >"$conf"

hosts=$(for upstream in $rasa_upstreams $console_upstream; do echo "${upstream%:*}"; done | sort -u)
addresses() {  # every host's addresses, or nothing when one does not resolve
  out=""
  for host in $hosts; do
    found=$(getent hosts "$host" | awk '{print $1}' | sort | tr '\n' ' ') || return 0
    [ -n "$found" ] || return 0
    out="$out$host=$found;"
  done
  echo "$out"
}

known=$(addresses)
nginx -c "$conf" &
nginx_pid=$!
trap 'kill -QUIT "$nginx_pid" 2>/dev/null || true' TERM INT QUIT
while kill -0 "$nginx_pid" 2>/dev/null; do
  sleep 5 &
  wait $! || true
  now=$(addresses)
  if [ -n "$now" ] && [ "$now" != "$known" ]; then
    echo "coopsante-nginx: an upstream's address changed, reloading" >&2
    nginx -c "$conf" -s reload && known=$now
  fi
done
wait "$nginx_pid"
