#!/usr/bin/env bash
# Times the NumPy reference of the integer-percentage test (../shared/reference/integer_peaks.py)
# and `fairtally forensics` side by side on the same file, alternating runs, and prints medians.
#
# Usage (from anywhere): crates/forensics/benches/compare-reference.sh [YEAR] [RUNS]
#   YEAR: 2011, 2012, 2016 or 2018 (default 2012); RUNS: runs of each (default 5).
# Needs python3 with numpy and pandas (pip install numpy pandas).
#
# Two comparisons:
#   end to end: the reference (load + test) against fairtally's whole analysis (import, every
#               test, figures, summary.json and report.html);
#   the test:   the reference's Monte Carlo against fairtally's integer-percentage test, both
#               with 1,000 repetitions, as each program reports it.
set -euo pipefail
cd "$(dirname "$0")/../../.."
year=${1:-2012}
runs=${2:-5}
data=../shared/data/russia/$year.csv.zip
map=mappings/russia-$year.toml
reference=../shared/reference/integer_peaks.py
python3 -c "import numpy, pandas" 2>/dev/null || { echo "needs numpy and pandas: pip install numpy pandas" >&2; exit 1; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p fairtally
fairtally=$CARGO_TARGET_DIR/release/fairtally
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for run in $(seq "$runs"); do
    start=$(date +%s.%N)
    python3 "$reference" "$data" --reps 1000 --seed 42 > "$work/reference-$run.json"
    end=$(date +%s.%N)
    echo "$start $end" > "$work/reference-$run.time"
    start=$(date +%s.%N)
    "$fairtally" forensics "$data" --map "$map" --out "$work/out" --reps 1000 --seed 42 \
        > "$work/fairtally-$run.out" 2> "$work/fairtally-$run.err"
    end=$(date +%s.%N)
    echo "$start $end" > "$work/fairtally-$run.time"
    echo "run $run of $runs done" >&2
done
python3 - "$work" "$runs" "$year" <<'PY'
import json, re, statistics, sys
work, runs, year = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wall = lambda name, r: (lambda a, b: b - a)(*map(float, open(f"{work}/{name}-{r}.time").read().split()))
ref_total = [wall("reference", r) for r in range(1, runs + 1)]
ours_total = [wall("fairtally", r) for r in range(1, runs + 1)]
ref = [json.load(open(f"{work}/reference-{r}.json")) for r in range(1, runs + 1)]
ref_mc = [x["seconds_monte_carlo"] for x in ref]
ours_test = [float(re.search(r"integer_percentage ([0-9.]+) s", open(f"{work}/fairtally-{r}.err").read()).group(1))
             for r in range(1, runs + 1)]
excess = re.search(r"excess ([0-9.]+)", open(f"{work}/fairtally-1.out").read()).group(1)
m = statistics.median
print(f"Russia {year}, 1,000 Monte Carlo repetitions, {runs} runs each, medians:")
print(f"  end to end: reference {m(ref_total):.2f} s, fairtally (every test, figures, report) {m(ours_total):.2f} s: {m(ref_total) / m(ours_total):.1f}x")
print(f"  the test:   reference Monte Carlo {m(ref_mc):.2f} s, fairtally integer-percentage test {m(ours_test):.3f} s: {m(ref_mc) / m(ours_test):.0f}x")
print(f"  excess: reference {ref[0]['excess']}, fairtally {excess}")
PY
