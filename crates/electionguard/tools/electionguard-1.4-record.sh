#!/bin/sh
# Write a fresh electionguard-python 1.4 election record (not kept in the repository, not run
# by CI): N seeded plaintext ballots for ../shared/data/electionguard/manifest-small.json, one
# of them spoiled, 3 guardians with a quorum of 2.
#
#   crates/electionguard/tools/electionguard-1.4-record.sh N OUT_DIR
#   FAIRTALLY_EG14_RECORD=OUT_DIR/record.zip \
#     cargo test -p fairtally-electionguard --release --test samples -- --ignored
#
# electionguard 1.4.0 needs Python 3.10 and two pins from PyPI: click < 8.2 (its
# --output-record) and dacite 1.6.0 (later versions fail to read the manifest's dates); its
# command line also imports hypothesis.
set -eu
n=${1:?number of ballots}
out=${2:?output directory}
python=${PYTHON310:-python3.10}
mkdir -p "$out"
manifest=$(cd "$(dirname "$0")/../../../.." && pwd)/shared/data/electionguard/manifest-small.json
[ -x "$out/venv/bin/eg" ] || {
    "$python" -m venv "$out/venv"
    "$out/venv/bin/pip" install -q electionguard==1.4.0 'click<8.2' dacite==1.6.0 hypothesis
}
"$python" - "$n" "$manifest" "$out/ballots.json" <<'PY'
import json, random, sys
n, manifest, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = json.load(open(manifest))
rng = random.Random(12)
ballots = []
for i in range(n):
    style = m["ballot_styles"][i % 2]
    units = set(style["geopolitical_unit_ids"])
    contests = []
    for c in m["contests"]:
        if c["electoral_district_id"] not in units:
            continue
        chosen = rng.sample(c["ballot_selections"], rng.randint(0, c["votes_allowed"]))
        contests.append({"object_id": c["object_id"], "sequence_order": c["sequence_order"],
                         "ballot_selections": [{"object_id": s["object_id"],
                                                "sequence_order": s["sequence_order"], "vote": 1}
                                               for s in chosen]})
    ballots.append({"object_id": f"ballot-{i}", "style_id": style["object_id"], "contests": contests})
json.dump(ballots, open(out, "w"), indent=1)
PY
"$out/venv/bin/eg" e2e --guardian-count 3 --quorum 2 --manifest "$manifest" \
    --ballots "$out/ballots.json" --spoil-id ballot-3 --output-record "$out/record.zip" > "$out/e2e.log"
echo "$out/record.zip"
