# Sourced by gateway.sh, instructions-per-request.sh and instructions-per-handshake.sh: one-worker nginx instances (a proxy, an upstream).
#
# nginx_conf DIR CPU BODY writes DIR/nginx.conf, one worker pinned to CPU serving the server block(s) BODY;
# nginx_upstream DIR CPU PORT [h2] writes the upstream both scripts proxy to: `GET /api/hello` answered with a fixed
# body over plaintext keep-alive on 127.0.0.1:PORT (HTTP/1.1, or HTTP/2 with prior knowledge with `h2`);
# nginx_foreground_mtls DIR PORT writes the mutual-TLS server `make bench` measures (nginx-baseline.sh's: `GET
# /api/hello` answered, access_log off) on 127.0.0.1:PORT as one process serving in the foreground, for callgrind;
# nginx_start DIR CPU starts one (after `nginx -t`), nginx_stop DIR stops it. Sets nginx_binary.
nginx_binary=$(command -v nginx || echo /usr/sbin/nginx)

nginx_conf() {  # DIR CPU BODY
    local dir=$1 cpu=$2 body=$3
    mkdir -p "$dir/tmp"
    cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 1$(printf '%*s' "$cpu" '' | tr ' ' 0);
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
$body
}
CONF
}

nginx_upstream() {  # DIR CPU PORT [h2]
    local listen="127.0.0.1:$3"
    [ "${4:-}" = h2 ] && listen="$listen http2"
    nginx_conf "$1" "$2" "    server {
        listen $listen;
        location = /api/hello { return 200 \"Hello, bench.\"; }
        location / { return 404; }
    }"
}

nginx_mtls_listen() {  # PORT: a server block's mutual-TLS listener, as nginx-baseline.sh's (uses $pki from setup.sh)
    printf '        %s\n' "listen 127.0.0.1:$1 ssl http2;" "ssl_certificate $pki/server-chain.pem;" \
        "ssl_certificate_key $pki/server.key;" "ssl_protocols TLSv1.2 TLSv1.3;" "ssl_verify_client on;" \
        "ssl_client_certificate $pki/ca-bundle.pem;" "ssl_verify_depth 2;"
}

nginx_foreground_mtls() {  # DIR PORT (uses $pki from setup.sh)
    nginx_conf "$1" 0 "    server {
$(nginx_mtls_listen "$2")
        server_name localhost;
        location = /api/hello { return 200 \"Hello, bench.\"; }
        location / { return 404; }
    }"
    sed -i '1i master_process off;\ndaemon off;' "$1/nginx.conf"
    "$nginx_binary" -t -q -p "$1" -c "$1/nginx.conf" -e "$1/error.log"
}

nginx_start() {  # DIR CPU
    "$nginx_binary" -t -q -p "$1" -c "$1/nginx.conf" -e "$1/error.log"
    taskset -c "$2" "$nginx_binary" -p "$1" -c "$1/nginx.conf" -e "$1/error.log"
    for _ in $(seq 50); do [ -s "$1/nginx.pid" ] && kill -0 "$(cat "$1/nginx.pid")" 2>/dev/null && return 0; sleep 0.1; done
    echo "$(basename "$0"): nginx in $1 did not start (see $1/error.log)" >&2
    exit 1
}

nginx_stop() {  # DIR
    [ -s "$1/nginx.pid" ] || return 0
    local pid; pid=$(cat "$1/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    rm -f "$1/nginx.pid"
}
