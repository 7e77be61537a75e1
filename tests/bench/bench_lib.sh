# Shared by the benchmark runners (run_echo_bench.sh, run_rpc_bench.sh, run_durable_bench.sh,
# run_http_bench.sh): keeping other work off the two benchmark cores, running one scenario with
# retries, and every scenario in rotating order. Source it after defining:
#   SERVER_CPU, CLIENT_CPU   the benchmark cores
#   MAX_OTHER, QUIET_WAIT, MAX_ATTEMPTS, MAX_MINUTES, RAW (the raw results file), WORK
#   PID[server]              the servers' pids
#   log MESSAGE              progress on stderr
#   start_server SERVER     starts one server (for start_servers)
#   measure SERVER SCENARIO  one run: prints the load generator's key=value line, "skip" when
#                            the pair does not apply, nothing when it failed

# Prints the % of a core that the two benchmark cores spent busy over 0.3 s (between runs only
# idle servers are up, so this is other work).
cores_busy_pct() {
  local before after
  before="$(grep -E "^cpu($SERVER_CPU|$CLIENT_CPU) " /proc/stat)"
  sleep 0.3
  after="$(grep -E "^cpu($SERVER_CPU|$CLIENT_CPU) " /proc/stat)"
  printf '%s\n%s\n' "$before" "$after" | awk -v hz="$(getconf CLK_TCK)" '
    { busy = $2 + $3 + $4 + $7 + $8 + $9; sign = NR <= 2 ? -1 : 1; total += sign * busy }
    END { printf "%.0f\n", total / hz / 0.3 * 100 }'
}

# Waits (up to QUIET_WAIT seconds, and not past DEADLINE) for other work to leave the cores alone.
wait_for_quiet() {
  local waited=0 busy
  while busy="$(cores_busy_pct)" && ((busy > MAX_OTHER)); do
    if ((waited >= QUIET_WAIT || SECONDS >= DEADLINE)); then return; fi
    if ((waited == 0)); then log "other work keeps the cores ${busy}% busy; waiting"; fi
    sleep 1
    waited=$((waited + 1))
  done
}

# Runs scenario $2 against server $1 (repetition $3) and appends one line to RAW. A run during
# which other processes used more than MAX_OTHER% of a core on the two benchmark cores is retried,
# up to MAX_ATTEMPTS times; the quietest attempt is kept, marked noisy=1 if none was quiet. The
# in-run reading is other_tasks_pct, the lower bound (rpc_meter.cc explains why the upper bound,
# other_busy_pct, flags Perspective Broker's own loopback interrupts; echo_loadgen reports only
# other_busy_pct); the check before each run, with only idle servers up, is the main guard.
run_scenario() {
  local server="$1" scenario="$2" rep="$3" result best="" best_other=1000000 other attempt
  for ((attempt = 1; attempt <= MAX_ATTEMPTS; attempt++)); do
    wait_for_quiet
    result="$(measure "$server" "$scenario")"
    [[ $result == skip ]] && return 0
    if [[ -z $result ]]; then
      best="error=$(kill -0 "${PID[$server]}" 2>/dev/null && echo client_failed || echo server_died)"
      break
    fi
    other="$(sed -n 's/.*other_tasks_pct=\([0-9.]*\).*/\1/p' <<<"$result")"
    [[ -n $other ]] || other="$(sed -n 's/.*other_busy_pct=\([0-9.]*\).*/\1/p' <<<"$result")"
    other="${other:-0}"
    if awk -v a="$other" -v b="$best_other" 'BEGIN { exit !(a < b) }'; then
      best="$result attempts=$attempt"
      best_other="$other"
    fi
    if awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }'; then break; fi
    if ((SECONDS >= DEADLINE)); then break; fi
    log "rep $rep $scenario $server: other work kept the cores ${other}% busy; retrying"
    sleep 1
  done
  if awk -v a="$best_other" -v m="$MAX_OTHER" 'BEGIN { exit !(a > m && a < 1000000) }'; then
    best="$best noisy=1"
  fi
  echo "server=$server scenario=$scenario rep=$rep $best" >>"$RAW"
  log "rep $rep $scenario $server: $best"
}

# Runs each of the given scenarios against every running server, REPS times. Each repetition
# rotates the servers' order, so no server always runs first or last after a scenario change.
run_rotating() {
  local rep scenario i n
  for rep in $(seq 1 "$REPS"); do
    for scenario in "$@"; do
      n=${#RUNNING[@]}
      for ((i = 0; i < n; i++)); do
        run_scenario "${RUNNING[$(((i + rep) % n))]}" "$scenario" "$rep"
      done
    done
  done
}

# Writes WORK/machine.txt: what the run ran on (the reports print it). Needs REPS,
# SECONDS_PER_RUN and WARMUP.
write_machine_notes() {
  {
    echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg) reps=$REPS seconds=$SECONDS_PER_RUN warmup=$WARMUP"
    echo "pinning: servers on cpu $SERVER_CPU, load generators on cpu $CLIENT_CPU"
  } >"$WORK/machine.txt"
}

# Sets DEADLINE and starts every server in SERVERS with start_server; those that started are in
# RUNNING. Exits when none did.
start_servers() {
  DEADLINE=$((SECONDS + MAX_MINUTES * 60))
  local wanted server
  read -r -a wanted <<<"$SERVERS"
  RUNNING=()
  for server in "${wanted[@]}"; do
    if start_server "$server"; then RUNNING+=("$server"); fi
  done
  ((${#RUNNING[@]} > 0)) || { log "no server started"; exit 1; }
}
