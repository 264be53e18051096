# Shared helpers for integration tests (bash).  Source it:
#   . "$PGMORTEM_SOURCE_ROOT/tests/integration/lib.sh"
#
# Tests exit 77 ("skipped") naming what is missing, 1 on failure.

: "${PGMORTEM:?PGMORTEM must point at the pgmortem binary (meson test sets it)}"
: "${PGMORTEM_SOURCE_ROOT:?PGMORTEM_SOURCE_ROOT must point at the source tree}"

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

require() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (run scripts/setup)"; done
}

# Scenario captures are shared by all tests of one run: scripts/test sets
# PGMORTEM_SCENARIO_DIR; a test run alone gets a private directory.
if [[ -z ${PGMORTEM_SCENARIO_DIR:-} ]]; then
    PGMORTEM_SCENARIO_DIR=$(mktemp -d /tmp/pgm-scenarios.XXXXXX)
    export PGMORTEM_SCENARIO_DIR
    echo "note: this test's scenario cores go to $PGMORTEM_SCENARIO_DIR and stay there:" \
         "remove it when done, or set PGMORTEM_SCENARIO_DIR to share one directory" >&2
fi

# scenario NAME PG  -> prints the scenario's output directory, running the
# scenario first if this run has not captured it yet.  Skips the test (77)
# when the scenario cannot run here (e.g. no PostgreSQL), fails otherwise.
scenario() {
    local out=$PGMORTEM_SCENARIO_DIR/pg$2
    scenario_once "$out" "$1" "$2"
    echo "$out/$1"
}

# scenario_once OUT NAME PG [RUN-OPTIONS...]: runs NAME into OUT/NAME unless a
# test of this run already did (one at a time, under OUT/.lock); skips (77)
# or fails as scenario() says.
scenario_once() {
    local out=$1 name=$2 pg=$3
    shift 3
    mkdir -p "$out"
    (
        flock 9
        if [[ ! -f $out/$name/truth.json ]]; then
            local rc=0
            "$PGMORTEM_SOURCE_ROOT/tests/scenarios/run" "$name" --pg "$pg" --out "$out" "$@" >"$out/$name.log" 2>&1 || rc=$?
            if (( rc == 77 )); then exit 77; fi
            if (( rc != 0 )); then cat "$out/$name.log" >&2; exit 1; fi
        fi
    ) 9>"$out/.lock" || {
        local rc=$?
        (( rc == 77 )) && skip "scenario $name on PostgreSQL $pg cannot run here: $(tail -n1 "$out/$name.log")"
        fail "scenario $name on PostgreSQL $pg failed (log above)"
    }
}

# pg_bin PG -> the directory holding PostgreSQL's binaries for 15|18|15-stock|15-stripped
pg_bin() {
    case $1 in
        *-stock) echo "/usr/lib/postgresql/${1%-stock}/bin" ;;
        *-stripped) "$PGMORTEM_SOURCE_ROOT/tests/pg/pgenv" "$1" ;;
        *) echo "$("$PGMORTEM_SOURCE_ROOT/tests/pg/build-postgres" "$1")/bin" ;;
    esac
}

# check_json KIND [FILE...]: the JSON pgmortem printed (FILE..., or standard
# input) must match its schema, share/pgmortem/schema/KIND-N.schema.json
# (KIND: analyze, backends, locks, stack, print, types, live, snapshot,
# batch-record for JSON Lines, batch-summary), with Debian's
# python3-jsonschema (tests/lib/check-json).  Fails the test when it does not.
check_json() {
    local rc=0
    "$PGMORTEM_SOURCE_ROOT/tests/lib/check-json" "$@" || rc=$?
    (( rc == 77 )) && skip "python3-jsonschema is not installed (run scripts/setup)"
    (( rc == 0 )) || fail "pgmortem's $1 JSON does not match its schema (above)"
}

# pg_lsn N -> N (a number, as gdb records an XLogRecPtr) in pg_lsn notation, "null" for 0
pg_lsn() {
    local v=$1
    if [[ $v == 0 || $v == null ]]; then echo null; return; fi
    printf '%X/%X\n' $((v >> 32)) $((v & 0xFFFFFFFF))
}

# scenario_live NAME PG -> prints the output directory of NAME run with a
# hook that, while the state holds, runs `pgmortem live PID` (JSON, text, exit
# status) for every pid of every role, and `pgmortem live --instance` for the
# first pid of ROLE_FOR_INSTANCE (default: the first role):
#   DIR/live.PID.json, DIR/live.PID.txt, DIR/live.PID.rc, DIR/instance.json, DIR/instance.rc
# Cached per test run and pgmortem binary like scenario() (in pgPG-live-N/: the
# live outputs are the binary's), skipped (77) the same way.
scenario_live() {
    local name=$1 pg=$2 out hook
    out=$PGMORTEM_SCENARIO_DIR/pg$2-live-$(cksum <<<"$PGMORTEM" | cut -d' ' -f1)
    mkdir -p "$out"
    hook=$out/hook.sh
    cat >"$hook" <<'HOOK'
set -u
roles=$(env | sed -n 's/^PGM_ROLE_[A-Z_]*=//p' | tr ' ' '\n' | sort -u)
for p in $roles; do
    r=0; "$PGMORTEM" live "$p" --format json >"$PGM_SCEN_OUT/live.$p.json" 2>"$PGM_SCEN_OUT/live.$p.err" || r=$?
    echo "$r" >"$PGM_SCEN_OUT/live.$p.rc"
    "$PGMORTEM" live "$p" >"$PGM_SCEN_OUT/live.$p.txt" 2>&1 || true
done
first=$(env | sed -n "s/^PGM_ROLE_${ROLE_FOR_INSTANCE:-[A-Z_]*}=//p" | head -n1)
r=0; "$PGMORTEM" live --instance "${first%% *}" --format json >"$PGM_SCEN_OUT/instance.json" \
    2>"$PGM_SCEN_OUT/instance.err" || r=$?
echo "$r" >"$PGM_SCEN_OUT/instance.rc"
HOOK
    scenario_once "$out" "$name" "$pg" --exec "bash $hook"
    [[ $(cat "$out/$name/exec.rc" 2>/dev/null) == 0 ]] || fail "the live hook of $name on PostgreSQL $pg failed: $(tail -n 3 "$out/$name/exec.log")"
    echo "$out/$name"
}

# check LABEL EXPECTED ACTUAL: counts a mismatch in $failures (the caller's)
check() {
    if [[ "$2" != "$3" ]]; then
        echo "  mismatch: $1: truth '$2', pgmortem '$3'" >&2
        failures=$((failures + 1))
    fi
}

# check_activity LABEL REPORT TRUTH PID: the report's backend type, wait event and
# query are what pg_stat_activity showed for PID
check_activity() {
    local l=$1 r=$2 t=$3 p=$4 f
    for f in backend_type:backend_type wait_event_type:wait_event.type wait_event:wait_event.name query:query; do
        check "$l ${f%%:*}" "$(jq -r --argjson p "$p" ".pg_stat_activity[] | select(.pid == \$p) | .${f%%:*} // \"null\"" "$t")" \
            "$(jq -r ".backend.${f#*:} // \"null\"" <<<"$r")"
    done
}
