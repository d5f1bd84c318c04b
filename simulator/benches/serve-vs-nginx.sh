#!/usr/bin/env bash
# serve-vs-nginx: how fast does tm-simulator serve raw item downloads
# (GET /tm/v1/items/<id>/raw) compared with nginx serving the very same bytes as static
# files? Both servers run side by side on loopback in one run and are measured with wrk,
# alternating (nginx, simulator, nginx, simulator, ...), and the script prints the ratio
# simulator/nginx.
#
# Two item sets are measured, each drawn (seeded, so deterministic) from the scenario's items:
#   small  up to 3,000 chat items (a few KiB each): requests/s is what matters;
#   mixed  up to 3,000 items of any kind of at most 10,485,760 bytes: bytes/s is what matters.
# Every request picks a random path of its set. Before measuring, a few items are fetched from
# both servers and their sha256 compared with the generated file's (and the index's).
#
# Usage:
#   simulator/benches/serve-vs-nginx.sh [--scenario PATH] [--rounds N]
#
#   --scenario PATH  scenario to serve (default: a bench scenario written to the temp dir:
#                    300 employees, 150 external contacts, 30 groups, one day, 20 items per
#                    employee, the default media mix)
#   --rounds N       rounds per item set (default: $ROUNDS or 3)
#
# Environment:
#   DURATION=10          seconds of each wrk run
#   ROUNDS=3             rounds per item set (--rounds wins)
#   WARMUP=2             seconds of warm-up of each server per set (0: none)
#   THREADS=2            wrk threads (-t)
#   CONNECTIONS=16       wrk connections (-c)
#   WRK_TIMEOUT=10s      wrk's per-request timeout
#   MAX_SOCKET_ERRORS=5  socket errors (connect/read/write/timeout) a wrk run may have;
#                        any non-2xx/3xx response fails the run
#   SKIP_BUILD=1         do not run `cargo build --release -p tm-simulator --locked` first
#   TM_SIMULATOR=PATH    the simulator binary (default: target/release/tm-simulator)
#   NGINX=PATH           the nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   KEEP=1               keep the temp dir (generated items, configs, wrk outputs)
#   TMPDIR               where the temp dir goes (the generated items: ~1 GB by default)
#
# Needs (Debian packages): nginx-light (or nginx), wrk, curl, python3; cargo unless
# SKIP_BUILD=1. The script installs nothing. It starts nginx as the current user (as root, its
# workers run as root too, to read the temp dir) with a config of its own in the temp dir,
# listening on 127.0.0.1 only, and stops both servers on exit.
#
# Notes:
#   - The simulator's session tokens last an hour (TOKEN_LIFETIME): plenty for the default
#     bench; the script checks expires_at before each simulator run and logs in again if the
#     token would expire during it.
#   - The simulator logs every request in an in-memory access log; the script clears it
#     (POST /sim/reset) before each simulator run so that no round pays for an earlier one.
#     The reset also re-arms a scenario's faults (the default bench scenario has none; a
#     scenario with download faults makes the runs fail on non-2xx responses or socket errors).
#   - Transfer/sec counts response heads too; the two servers' heads differ by some 100 bytes.
#   - wrk, nginx and the simulator share the machine's cores: the ratio is of this machine.

set -euo pipefail

prog=serve-vs-nginx
say() { printf '%s: %s\n' "$prog" "$*"; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}
usage() { sed -n '/^# Usage:/,/^#   --rounds/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------------------------------------
# Arguments and settings

scenario=""
rounds="${ROUNDS:-3}"
while (($#)); do
    case "$1" in
    --scenario)
        (($# >= 2)) || die "--scenario needs a path"
        scenario="$2"
        shift 2
        ;;
    --scenario=*)
        scenario="${1#--scenario=}"
        shift
        ;;
    --rounds)
        (($# >= 2)) || die "--rounds needs a number"
        rounds="$2"
        shift 2
        ;;
    --rounds=*)
        rounds="${1#--rounds=}"
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        printf '%s: unknown argument %q\n' "$prog" "$1" >&2
        exit 2
        ;;
    esac
done

duration="${DURATION:-10}"
warmup="${WARMUP:-2}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-16}"
wrk_timeout="${WRK_TIMEOUT:-10s}"
max_socket_errors="${MAX_SOCKET_ERRORS:-5}"
set_size=3000
max_item_size=10485760

need_uint() { # NAME VALUE MIN
    if ! [[ $2 =~ ^[0-9]+$ ]] || ((10#$2 < $3)); then
        die "$1 must be a whole number >= $3, not '$2'"
    fi
}
need_uint rounds "$rounds" 1
need_uint DURATION "$duration" 1
need_uint WARMUP "$warmup" 0
need_uint THREADS "$threads" 1
need_uint CONNECTIONS "$connections" "$threads"
need_uint MAX_SOCKET_ERRORS "$max_socket_errors" 0

# ---------------------------------------------------------------------------------------------
# Tools (installs nothing)

nginx_bin="${NGINX:-}"
if [[ -z $nginx_bin ]]; then
    nginx_bin="$(command -v nginx 2>/dev/null || true)"
    [[ -n $nginx_bin || ! -x /usr/sbin/nginx ]] || nginx_bin=/usr/sbin/nginx
fi
missing=()
[[ -n $nginx_bin && -x $nginx_bin ]] || missing+=("nginx (Debian package nginx-light, or nginx)")
command -v wrk >/dev/null 2>&1 || missing+=("wrk (Debian package wrk)")
command -v curl >/dev/null 2>&1 || missing+=("curl (Debian package curl)")
command -v python3 >/dev/null 2>&1 || missing+=("python3 (Debian package python3)")
command -v sha256sum >/dev/null 2>&1 || missing+=("sha256sum (Debian package coreutils)")
if [[ ${SKIP_BUILD:-0} != 1 ]] && ! command -v cargo >/dev/null 2>&1; then
    missing+=("cargo (a Rust toolchain; or set SKIP_BUILD=1 to use an existing binary)")
fi
if ((${#missing[@]})); then
    for m in "${missing[@]}"; do printf '%s: missing: %s\n' "$prog" "$m" >&2; done
    printf '%s: e.g. apt-get install nginx-light wrk curl python3\n' "$prog" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -n $scenario ]]; then
    [[ -f $scenario ]] || die "no scenario file $scenario"
    scenario="$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")"
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    say "building: cargo build --release -p tm-simulator --locked"
    (cd "$root" && cargo build --release -p tm-simulator --locked)
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ $target_dir == /* ]] || target_dir="$root/$target_dir"
sim_bin="${TM_SIMULATOR:-$target_dir/release/tm-simulator}"
[[ -x $sim_bin ]] || die "no simulator binary at $sim_bin (build it, or unset SKIP_BUILD)"

# ---------------------------------------------------------------------------------------------
# Temp dir and clean-up

work="$(mktemp -d "${TMPDIR:-/tmp}/serve-vs-nginx.XXXXXX")"
nginx_pid=""
sim_pid=""

stop_pid() { # pid name
    local pid="$1" name="$2" i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) did not stop on SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$nginx_pid" nginx
    stop_pid "$sim_pid" tm-simulator
    if [[ ${KEEP:-0} == 1 ]]; then
        say "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Scenario and generated items

if [[ -z $scenario ]]; then
    scenario="$work/bench.toml"
    cat >"$scenario" <<'EOF'
# Written by simulator/benches/serve-vs-nginx.sh.
name = "serve-vs-nginx"
description = "Bench: 300 employees, 150 external contacts, 30 groups, one day, 20 items per employee"
seed = 20261202
start = "2026-11-20T00:00:00Z"

[organisation]
employees = 300
domain = "contoso.cn"
external_contacts = 150
groups = 30

[traffic]
days = 1
items_per_employee_per_day = 20
EOF
fi
say "scenario $scenario"

items_dir="$work/items"
say "generating items into $items_dir"
"$sim_bin" generate --scenario "$scenario" --out "$items_dir" | sed "s/^/$prog: /"
[[ -f $items_dir/index.json ]] || die "generate wrote no index.json"

# The item sets: lists of URL paths (and a few items to verify, as id<TAB>sha256<TAB>size).
python3 - "$items_dir/index.json" "$work" "$set_size" "$max_item_size" <<'PY'
import json, random, statistics, sys, urllib.parse

index, work, n, max_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
items = json.load(open(index))["items"]
chats = [i for i in items if i["kind"] == "chat"]
fitting = [i for i in items if i["size"] <= max_size]
sets = {
    "small": random.Random(1).sample(chats, min(n, len(chats))),
    "mixed": random.Random(2).sample(fitting, min(n, len(fitting))),
}
check = []
for name, chosen in sets.items():
    if not chosen:
        sys.exit(f"serve-vs-nginx: error: the {name} set is empty (no fitting item in the scenario)")
    with open(f"{work}/{name}.paths", "w") as f:
        for i in chosen:
            f.write("/tm/v1/items/%s/raw\n" % urllib.parse.quote(i["id"], safe=""))
    sizes = [i["size"] for i in chosen]
    print(
        "serve-vs-nginx: %s set: %d items, %.1f MiB, sizes mean %.0f, median %.0f, max %d bytes"
        % (name, len(chosen), sum(sizes) / 2**20, statistics.mean(sizes), statistics.median(sizes), max(sizes))
    )
    check += chosen[:3]
    check.append(max(chosen, key=lambda i: i["size"]))
seen = set()
with open(f"{work}/check.tsv", "w") as f:
    for i in check:
        if i["id"] not in seen:
            seen.add(i["id"])
            f.write("%s\t%s\t%d\n" % (i["id"], i["sha256"], i["size"]))
PY

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------------------------------------
# nginx: the same bytes as static files

ngx="$work/nginx"
mkdir -p "$ngx"
nginx_port="$(free_port)"
nginx_user=""
if ((EUID == 0)); then
    # Workers would otherwise run as nobody and could not read the private temp dir.
    nginx_user="user $(id -un) $(id -gn);"
fi
cat >"$ngx/nginx.conf" <<EOF
# Written by simulator/benches/serve-vs-nginx.sh.
$nginx_user
worker_processes auto;
daemon off;
pid "$ngx/nginx.pid";
error_log "$ngx/error.log" warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    server_tokens off;

    client_body_temp_path "$ngx/client_body";
    proxy_temp_path "$ngx/proxy";
    fastcgi_temp_path "$ngx/fastcgi";
    uwsgi_temp_path "$ngx/uwsgi";
    scgi_temp_path "$ngx/scgi";

    types {}
    default_type message/rfc822;

    server {
        listen 127.0.0.1:$nginx_port;
        server_name localhost;

        location ~ ^/tm/v1/items/([^/]+)/raw\$ {
            alias "$items_dir/\$1.eml";
        }
        location / {
            return 404;
        }
    }
}
EOF
nginx_args=(-p "$ngx" -c "$ngx/nginx.conf")
if [[ $("$nginx_bin" -h 2>&1) == *"-e filename"* ]]; then
    nginx_args+=(-e "$ngx/error.log") # no attempt at the distribution's log before the config is read
fi
"$nginx_bin" "${nginx_args[@]}" -t -q || die "nginx rejects $ngx/nginx.conf"
"$nginx_bin" "${nginx_args[@]}" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port"
for ((i = 0; ; i++)); do
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited; see $ngx/error.log: $(tail -n 3 "$ngx/error.log" 2>/dev/null)"
    curl -s -o /dev/null "$nginx_url/" && break
    ((i < 100)) || die "nginx does not answer on $nginx_url"
    sleep 0.1
done
say "nginx $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //') on $nginx_url (pid $nginx_pid)"

# ---------------------------------------------------------------------------------------------
# The simulator

sim_out="$work/simulator.out"
"$sim_bin" serve --scenario "$scenario" --listen 127.0.0.1:0 >"$sim_out" 2>"$work/simulator.err" &
sim_pid=$!
for ((i = 0; ; i++)); do
    grep -q 'TM_PASSWORD=' "$sim_out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || die "tm-simulator exited: $(tail -n 5 "$work/simulator.err")"
    ((i < 3000)) || die "tm-simulator printed no TM_URL within 300 s"
    sleep 0.1
done
tm_url="$(sed -n 's/.*TM_URL=\([^ ]*\).*/\1/p' "$sim_out" | head -n 1)"
tm_user="$(sed -n 's/.*TM_USERNAME=\(.*\) TM_PASSWORD=.*/\1/p' "$sim_out" | head -n 1)"
tm_pass="$(sed -n 's/.*TM_PASSWORD=\(.*\)$/\1/p' "$sim_out" | head -n 1)"
[[ $tm_url =~ ^http://127\.0\.0\.1:[0-9]+/tm/v1$ ]] || die "unexpected TM_URL '$tm_url' in $sim_out"
sim_url="${tm_url%/tm/v1}"
say "tm-simulator on $sim_url (pid $sim_pid): $(head -n 1 "$sim_out")"

token=""
expires_at=""
login() {
    local answer
    answer="$(python3 -c 'import json, sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2]}))' "$tm_user" "$tm_pass" |
        curl -sS -f --max-time 30 -H 'Content-Type: application/json' --data-binary @- "$tm_url/session")" ||
        die "login to $tm_url/session failed"
    token="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["token"])' "$answer")"
    expires_at="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["expires_at"])' "$answer")"
    [[ -n $token ]] || die "login answered no token: $answer"
}
seconds_left() {
    python3 -c '
import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
print(int((t - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))' "$expires_at"
}
ensure_token() { # seconds the token must still last
    local left
    left="$(seconds_left)"
    if ((left < $1)); then
        say "token expires at $expires_at (in $left s), a run needs $1 s: logging in again"
        login
    fi
}
login
needed=$((2 * (2 * warmup + 2 * rounds * duration) + 120))
say "logged in as $tm_user; token expires at $expires_at (in $(seconds_left) s; the bench needs about $needed s)"

# ---------------------------------------------------------------------------------------------
# Correctness: simulator bytes == nginx bytes == file (sha256), for a few items of each set

verified=0
while IFS=$'\t' read -r id sha size; do
    file="$items_dir/$id.eml"
    path="/tm/v1/items/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$id")/raw"
    sim_meta="$(curl -sS --max-time 120 -H "Authorization: Bearer $token" -o "$work/check.sim" -w '%{http_code} %{content_type}' "$sim_url$path")"
    ngx_meta="$(curl -sS --max-time 120 -H "Authorization: Bearer $token" -o "$work/check.nginx" -w '%{http_code} %{content_type}' "$nginx_url$path")"
    [[ $sim_meta == "200 message/rfc822" ]] || die "simulator answered '$sim_meta' for $path"
    [[ $ngx_meta == "200 message/rfc822" ]] || die "nginx answered '$ngx_meta' for $path"
    file_sha="$(sha256sum <"$file" | cut -d' ' -f1)"
    sim_sha="$(sha256sum <"$work/check.sim" | cut -d' ' -f1)"
    ngx_sha="$(sha256sum <"$work/check.nginx" | cut -d' ' -f1)"
    if [[ $sim_sha != "$file_sha" || $ngx_sha != "$file_sha" || $file_sha != "$sha" ]]; then
        die "$id: sha256 differ: index $sha, file $file_sha, simulator $sim_sha, nginx $ngx_sha"
    fi
    [[ $(stat -c %s "$file") == "$size" ]] || die "$id: the file has $(stat -c %s "$file") bytes, the index says $size"
    verified=$((verified + 1))
done <"$work/check.tsv"
rm -f "$work/check.sim" "$work/check.nginx"
((verified > 0)) || die "no item verified"
say "verified $verified items: simulator bytes == nginx bytes == generated file == index sha256"

# ---------------------------------------------------------------------------------------------
# wrk

lua="$work/random-path.lua"
cat >"$lua" <<'LUA'
-- Written by simulator/benches/serve-vs-nginx.sh: every request GETs a random path of a list.
-- Arguments (after --): the file of paths, the bearer token.
local threads_seen = 0

function setup(thread)
    threads_seen = threads_seen + 1
    thread:set("thread_no", threads_seen)
end

local paths = {}

function init(args)
    local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
    for line in file:lines() do
        if line ~= "" then
            paths[#paths + 1] = line
        end
    end
    file:close()
    assert(#paths > 0, "no paths in " .. args[1])
    -- The Authorization header is harmless for nginx, which ignores it.
    wrk.headers["Authorization"] = "Bearer " .. (args[2] or "")
    math.randomseed(7919 * (thread_no or 1))
end

function request()
    return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
        summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

# run_wrk SERVER URL PATHS SECONDS OUT: runs wrk (output in OUT), checks its errors and writes
# "requests/s bytes/s socket-errors" to OUT.result. Not to be run in a subshell (it may log in).
run_wrk() {
    local server="$1" url="$2" paths="$3" seconds="$4" out="$5"
    if [[ $server == simulator ]]; then
        ensure_token $((seconds + 60))
        curl -sS -f --max-time 30 -o /dev/null -X POST "$sim_url/sim/reset" || die "POST $sim_url/sim/reset failed"
    fi
    if ! wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout "$wrk_timeout" -s "$lua" "$url/" -- "$paths" "$token" >"$out" 2>&1; then
        die "wrk against $server failed: $(tail -n 5 "$out")"
    fi
    python3 - "$out" "$server" "$max_socket_errors" <<'PY' || exit 1
import re, sys

out, server, max_socket = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(out).read()
def fail(msg):
    sys.exit("serve-vs-nginx: error: wrk against %s: %s (%s):\n%s" % (server, msg, out, text))
rps = re.search(r"^Requests/sec:\s*([0-9.]+)\s*$", text, re.M)
tps = re.search(r"^Transfer/sec:\s*([0-9.]+)([KMGTP]?)B\s*$", text, re.M)
bench = re.search(r"^BENCH (.*)$", text, re.M)
if not (rps and tps and bench):
    fail("no Requests/sec, Transfer/sec or BENCH line")
b = {k: int(v) for k, v in (kv.split("=") for kv in bench.group(1).split())}
if b["requests"] == 0:
    fail("no request completed")
if b["status"] > 0:
    fail("%d non-2xx/3xx responses" % b["status"])
socket = b["connect"] + b["read"] + b["write"] + b["timeout"]
if socket > max_socket:
    fail("%d socket errors (connect %d, read %d, write %d, timeout %d), more than MAX_SOCKET_ERRORS=%d"
         % (socket, b["connect"], b["read"], b["write"], b["timeout"], max_socket))
# wrk prints binary units: 1 KB = 1024 B.
unit = tps.group(2)
bps = float(tps.group(1)) * 1024 ** ("KMGTP".index(unit) + 1 if unit else 0)
with open(out + ".result", "w") as f:
    f.write("%s %.0f %d\n" % (rps.group(1), bps, socket))
PY
}

fmt_run() { # requests/s bytes/s -> text
    python3 -c 'import sys; r, b = float(sys.argv[1]), float(sys.argv[2]); print("%10.1f req/s %9.1f MiB/s" % (r, b / 2**20))' "$1" "$2"
}

results="$work/results.tsv"
: >"$results"
say "wrk -t$threads -c$connections -d${duration}s, $rounds round(s) per set, nginx then simulator each round"
for set in small mixed; do
    paths="$work/$set.paths"
    if ((warmup > 0)); then
        run_wrk nginx "$nginx_url" "$paths" "$warmup" "$work/wrk-$set-warmup-nginx.txt"
        run_wrk simulator "$sim_url" "$paths" "$warmup" "$work/wrk-$set-warmup-simulator.txt"
        say "$set: warmed up both servers (${warmup}s each)"
    fi
    for ((r = 1; r <= rounds; r++)); do
        run_wrk nginx "$nginx_url" "$paths" "$duration" "$work/wrk-$set-$r-nginx.txt"
        read -r n_rps n_bps n_err <"$work/wrk-$set-$r-nginx.txt.result"
        run_wrk simulator "$sim_url" "$paths" "$duration" "$work/wrk-$set-$r-simulator.txt"
        read -r s_rps s_bps s_err <"$work/wrk-$set-$r-simulator.txt.result"
        printf '%s\t%d\t%s\t%s\t%s\t%s\n' "$set" "$r" "$n_rps" "$n_bps" "$s_rps" "$s_bps" >>"$results"
        ratios="$(python3 -c 'import sys; a = [float(x) for x in sys.argv[1:]]; print("ratio %.3f req/s, %.3f bytes/s" % (a[2] / a[0], a[3] / a[1]))' "$n_rps" "$n_bps" "$s_rps" "$s_bps")"
        printf '%s round %d/%d  nginx     %s%s\n' "$set" "$r" "$rounds" "$(fmt_run "$n_rps" "$n_bps")" "$( ((n_err == 0)) || echo "  ($n_err socket errors)")"
        printf '%s round %d/%d  simulator %s  %s%s\n' "$set" "$r" "$rounds" "$(fmt_run "$s_rps" "$s_bps")" "$ratios" "$( ((s_err == 0)) || echo "  ($s_err socket errors)")"
    done
done

python3 - "$results" <<'PY'
import statistics, sys

rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
med = {}
print()
print("medians over %d round(s) (simulator/nginx):" % (len(rows) // 2))
for s in ("small", "mixed"):
    mine = [[float(x) for x in r[2:]] for r in rows if r[0] == s]
    n_rps = statistics.median(r[0] for r in mine)
    n_bps = statistics.median(r[1] for r in mine)
    s_rps = statistics.median(r[2] for r in mine)
    s_bps = statistics.median(r[3] for r in mine)
    med[s, "req"] = statistics.median(r[2] / r[0] for r in mine)
    med[s, "bytes"] = statistics.median(r[3] / r[1] for r in mine)
    print("  %s: nginx %.1f req/s %.1f MiB/s, simulator %.1f req/s %.1f MiB/s (medians)"
          % (s, n_rps, n_bps / 2**20, s_rps, s_bps / 2**20))
    print("  %s: median ratio %.3f (simulator/nginx requests/s), %.3f (simulator/nginx bytes/s)"
          % (s, med[s, "req"], med[s, "bytes"]))
print()
print("small: median ratio %.2f (simulator/nginx requests/s)" % med["small", "req"])
print("mixed: median ratio %.2f (simulator/nginx bytes/s)" % med["mixed", "bytes"])
PY
