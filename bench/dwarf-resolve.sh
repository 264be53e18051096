#!/usr/bin/env bash
# Times the lazy DWARF engine on the PostgreSQL debug builds that exist
# (tests/pg/build-postgres makes them): open the executable and resolve the
# ~40 types, members and variables the analysis needs, fresh each round.
#
#   bench/dwarf-resolve.sh [BUILD_DIR] [ROUNDS]
#
# The target is "well under 50 ms" per round on the PostgreSQL 15 build.
set -euo pipefail
build=${1:-build}
rounds=${2:-20}
bin=$build/bench/dwarf-resolve
[[ -x $bin ]] || { echo "dwarf-resolve.sh: $bin not built (ninja -C $build)" >&2; exit 2; }
cache=${PGMORTEM_CACHE:-$HOME/.cache/pgmortem}
root=$(cd "$(dirname "$0")/.." && pwd)
# Everything the pg model resolves: the structs, enums and globals of layout.def.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
sed -nE -e 's/^PGM_(STRUCT|ENUM)\([A-Za-z_0-9]+, "([^"]+)"\).*/type \2/p' \
        -e 's/^PGM_GLOBAL\([A-Za-z_0-9]+, "([^"]+)"\).*/variable \1/p' \
        "$root/analyzer/pg/layout.def" >"$list"
status=0
for major in 15 18; do
    exe=$cache/pg/$major-debug/bin/postgres
    if [[ ! -f $cache/pg/$major-debug/.built || ! -x $exe ]]; then
        echo "PostgreSQL $major: no debug build in $cache/pg/$major-debug (tests/pg/build-postgres $major)"
        continue
    fi
    echo "PostgreSQL $major: $exe"
    echo "  the brief's list (types, members, variables):"
    "$bin" "$exe" "$rounds" | tail -n 3 | sed 's/^/    /' || status=1
    echo "  all of pg/layout.def:"
    "$bin" "$exe" "$rounds" "$list" 2>/dev/null | tail -n 3 | sed 's/^/    /'
done
exit $status
