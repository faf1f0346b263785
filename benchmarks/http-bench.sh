#!/usr/bin/env bash
# HTTP/1.1 keep-alive throughput and server CPU per request: the Loopflux `http` sample against
# Reactor Netty's HttpServer, both answering GET / with the same 20-byte text, one serving loop
# each, in processes of their own. wrk drives each in turn; each server's CPU time (user + system,
# every thread of the JVM) is read from /proc/PID/stat around the measured run.
#
# Build first, from the repository root:  mvn -B -q install -DskipTests
# Then:                                   benchmarks/http-bench.sh
# Settings (environment): THREADS=1 CONNECTIONS=64 DURATION=10s WARMUP=20s LOOPS=1 ROUNDS=1
#                         JAVA_OPTS="-Xms256m -Xmx256m"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-20s} # 5 s left Reactor Netty still compiling (a third of its later rate): warm both well
LOOPS=${LOOPS:-1}
ROUNDS=${ROUNDS:-1}
JAVA_OPTS=${JAVA_OPTS:--Xms256m -Xmx256m}
SAMPLES_JAR="$ROOT/samples/target/loopflux-samples.jar"
BENCH_JAR="$ROOT/benchmarks/target/loopflux-benchmarks.jar"

for jar in "$SAMPLES_JAR" "$BENCH_JAR"; do
    if [[ ! -f "$jar" ]]; then
        echo "missing $jar; build first: mvn -B -q install -DskipTests" >&2
        exit 1
    fi
done

if ! command -v wrk >/dev/null 2>&1; then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then
        SUDO=sudo
    fi
    echo "wrk not found: installing it with apt-get" >&2
    if ! $SUDO apt-get install -y -qq wrk >/dev/null 2>&1; then
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq wrk
    fi
fi

CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# utime + stime of the whole process (fields 14 and 15), in clock ticks. The command name (field 2)
# is in parentheses and may hold spaces, so count fields after its closing parenthesis.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# run NAME COMMAND...: starts the server, warms it up, measures; appends "NAME rps cpu_us" to $WORK/results.
run() {
    local name=$1
    shift
    local log="$WORK/$name.log"
    "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    local port=""
    for _ in $(seq 1 300); do
        port=$(sed -n 's/^http listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
        [[ -n "$port" ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "$name failed to start:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [[ -z "$port" ]]; then
        echo "$name did not say it was listening within 30 s" >&2
        exit 1
    fi
    local url="http://127.0.0.1:$port/"
    echo "== $name (pid $SERVER_PID, $url)"
    curl -s -i "$url" | tr -d '\r' | sed 's/^/   /'
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
    local before after out
    before=$(cpu_ticks "$SERVER_PID")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
    after=$(cpu_ticks "$SERVER_PID")
    echo "$out" | sed 's/^/   /'
    if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then
        echo "   WARNING: $name had errors (above)" >&2
    fi
    local requests rps
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    awk -v n="$name" -v rps="$rps" -v req="$requests" -v t=$((after - before)) -v hz="$CLK_TCK" \
        'BEGIN { printf "%s %.0f %.2f\n", n, rps, t / hz * 1e6 / req }' >>"$WORK/results"
    tail -n 1 "$WORK/results" | awk '{ printf "   -> %s: %s requests/s, %s us of server CPU per request\n", $1, $2, $3 }'
    # SIGTERM runs the same shutdown hook as Ctrl-C; SIGINT itself would be ignored here, since a
    # non-interactive shell starts background jobs with SIGINT ignored and the JVM keeps it so.
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), $LOOPS serving loop(s) per server, $(nproc) CPU(s), JAVA_OPTS=$JAVA_OPTS"
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
for round in $(seq 1 "$ROUNDS"); do
    run loopflux java $JAVA_OPTS -cp "$SAMPLES_JAR" dev.loopflux.samples.Main http --port 0 --loops "$LOOPS"
    run reactor-netty java $JAVA_OPTS -cp "$BENCH_JAR" dev.loopflux.bench.http.ReactorNettyHttp --port 0 --loops "$LOOPS"
done

echo
awk '
    { rps[$1] += $2; cpu[$1] += $3; n[$1]++ }
    END {
        printf "%-15s %14s %18s\n", "server", "requests/s", "CPU us/request"
        split("loopflux reactor-netty", order, " ")
        for (i = 1; i <= 2; i++) {
            s = order[i]
            if (n[s]) printf "%-15s %14.0f %18.2f\n", s, rps[s] / n[s], cpu[s] / n[s]
        }
        if (n["loopflux"] && n["reactor-netty"]) {
            printf "loopflux / reactor-netty: requests/s x%.2f, CPU per request x%.2f\n",
                rps["loopflux"] / rps["reactor-netty"], (cpu["loopflux"] / n["loopflux"]) / (cpu["reactor-netty"] / n["reactor-netty"])
        }
    }' "$WORK/results"
