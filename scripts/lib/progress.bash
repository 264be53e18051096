# Long steps say what they do, how long they usually take and where their
# log is; on a terminal they also show the time so far.  Source it:
#   . "$(dirname "$0")/lib/progress.bash"
#
#   step LABEL USUALLY LOG [PROBE] -- COMMAND...
#
# Runs COMMAND with its output appended to LOG, after one line
# "LABEL (usually USUALLY; log: LOG)" on stderr and before one line
# "LABEL: done in 6m40s" or "LABEL: failed after 1m02s, see LOG".  When
# stderr is a terminal a status line counts the time meanwhile, followed by
# what the command PROBE prints (e.g. "412 of 1650 files compiled").
# Returns COMMAND's status.

duration() {  # SECONDS -> "6m40s"
    local s=$1
    if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

step() {
    local label=$1 usually=$2 log=$3 probe= start=$SECONDS rc=0 ticker=
    shift 3
    if [[ ${1:-} != -- ]]; then probe=$1; shift; fi
    shift
    echo "$label (usually $usually; log: $log)" >&2
    if [[ -t 2 ]]; then
        # ends with the script: a background job does not get the terminal's SIGINT
        local parent=$BASHPID
        (
            while sleep 2 && kill -0 "$parent" 2>/dev/null; do
                printf '\r\033[K  %s so far%s' "$(duration $((SECONDS - start)))" \
                    "${probe:+, $($probe 2>/dev/null)}" >&2
            done
        ) &
        ticker=$!
    fi
    "$@" >>"$log" 2>&1 || rc=$?
    if [[ -n $ticker ]]; then
        kill "$ticker" 2>/dev/null
        wait "$ticker" 2>/dev/null
        printf '\r\033[K' >&2
    fi
    if ((rc)); then
        echo "$label: failed after $(duration $((SECONDS - start))), see $log" >&2
    else
        echo "$label: done in $(duration $((SECONDS - start)))" >&2
    fi
    return "$rc"
}
