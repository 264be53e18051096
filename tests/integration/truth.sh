# Comparisons with a scenario's truth.json, shared by the *-vs-truth tests.
# Source it after lib.sh.  The caller sets $truth (the truth.json of the
# scenario at hand) and, for the instance checks, $out (pgmortem's JSON);
# each mismatch is printed and counted in $failures.
#
#   check LABEL EXPECTED ACTUAL     compare two values
#   activity FIELD PID              pg_stat_activity's value ("null" if none)
#   check_identity PID OUT          a report's identity = pg_stat_activity
#   check_lock_blockers PID OUT     a report's blockers = pg_blocking_pids()
#   check_backends LABEL            `backends`/`locks` JSON = pg_stat_activity
#   check_locks LABEL               its lock table = pg_locks
#   check_blocking LABEL            its blockers = pg_blocking_pids()

failures=${failures:-0}
check() {  # check LABEL EXPECTED ACTUAL
    if [[ "$2" != "$3" ]]; then
        echo "  mismatch: $1: truth '$2', pgmortem '$3'" >&2
        failures=$((failures + 1))
    fi
}

activity() { jq -r --argjson p "$2" ".pg_stat_activity[] | select(.pid == \$p) | .$1 // \"null\"" "$truth"; }

check_identity() {
    local pid=$1 out=$2
    check "$pid pid" "$pid" "$(jq -r '.backend.pid' <<<"$out")"
    check "$pid backend_type" "$(activity backend_type "$pid")" "$(jq -r '.backend.backend_type' <<<"$out")"
    check "$pid leader_pid" "$(activity leader_pid "$pid")" "$(jq -r '.backend.leader_pid // "null"' <<<"$out")"
    check "$pid wait_event_type" "$(activity wait_event_type "$pid")" "$(jq -r '.backend.wait_event.type // "null"' <<<"$out")"
    check "$pid wait_event" "$(activity wait_event "$pid")" "$(jq -r '.backend.wait_event.name // "null"' <<<"$out")"
    check "$pid query" "$(activity query "$pid")" "$(jq -r '.backend.query // "null"' <<<"$out")"
}

# every waiting pid's blockers must be pg_blocking_pids' set: conflicting
# holders and conflicting waiters queued ahead
check_lock_blockers() {
    local pid=$1 out=$2
    jq -e --arg p "$pid" '.blocking[$p] | length > 0' "$truth" >/dev/null || return 0
    check "$pid wait kind" heavyweight_lock "$(jq -r '.backend.wait.kind' <<<"$out")"
    check "$pid blocking pids" "$(jq -c --arg p "$pid" '.blocking[$p] | sort' "$truth")" \
          "$(jq -c '[.backend.wait.holders[]?.pid] | sort' <<<"$out")"
    local mode
    mode=$(jq -r --argjson p "$pid" '[.pg_locks[] | select(.pid == $p and .granted == false) | .mode][0] // "null"' "$truth")
    check "$pid requested mode" "$mode" "$(jq -r '.backend.wait.object.mode // "null"' <<<"$out")"
}

# backend FIELD PID: pgmortem's value in $out ("null" if none)
backend() { jq -r --argjson p "$2" ".backends[] | select(.pid == \$p) | .$1 // \"null\"" <<<"$out"; }

check_backends() {
    local label=$1 pid type f
    while read -r pid type; do
        check "$label $pid present" "$pid" "$(backend pid "$pid")"
        check "$label $pid backend_type" "$(activity backend_type "$pid")" "$(backend backend_type "$pid")"
        [[ $type == "client backend" || $type == "parallel worker" ]] || continue
        for f in state wait_event_type wait_event leader_pid query application_name; do
            check "$label $pid $f" "$(activity "$f" "$pid")" "$(backend "$f" "$pid")"
        done
    done < <(jq -r '.pg_stat_activity[] | "\(.pid) \(.backend_type)"' "$truth")
    # pgmortem's extra rows: only the observer, or a session with no status entry yet
    local extra
    extra=$(jq -c --slurpfile t "$truth" '[.backends[] | select(.pid != null)
              | select(.pid as $p | [$t[0].pg_stat_activity[].pid] | index($p) | not)
              | select(.pid != $t[0].observer_pid and .status_known)] | map(.pid)' <<<"$out")
    check "$label backends pgmortem shows beyond pg_stat_activity" "[]" "$extra"
}

# pg_locks rows as comparable lines, for the truth's client backends and parallel workers
lock_lines() {  # lock_lines JSON-ARRAY-FILTER FILE-OR-STDIN
    jq -r --slurpfile t "$truth" '
        ([$t[0].pg_stat_activity[] | select(.backend_type == "client backend" or .backend_type == "parallel worker") | .pid]) as $pids
        | '"$1"'[] | select(.pid as $p | $pids | index($p))
        | [.locktype, .database, .relation, .page, .tuple, .virtualxid, .transactionid,
           .classid, .objid, .objsubid, .virtualtransaction, .pid, .mode, .granted, .fastpath]
        | map(tostring) | join("|")' | sort
}

check_locks() {
    local label=$1 want got
    want=$(lock_lines '.pg_locks' <"$truth")
    got=$(lock_lines '.locks' <<<"$out")
    if [[ "$want" != "$got" ]]; then
        echo "  mismatch: $label pg_locks:" >&2
        diff <(echo "$want") <(echo "$got") | sed 's/^/    /' >&2 || true
        failures=$((failures + 1))
    fi
    check "$label lock table complete" true "$(jq -r '.locks_complete' <<<"$out")"
}

check_blocking() {
    local label=$1 pid
    for pid in $(jq -r '.blocking | keys[]' "$truth"); do
        check "$label $pid pg_blocking_pids" "$(jq -c --arg p "$pid" '.blocking[$p] | sort' "$truth")" \
              "$(jq -c --argjson p "$pid" '.backends[] | select(.pid == $p) | .blocking // [] | sort' <<<"$out")"
    done
}
