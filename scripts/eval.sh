#!/usr/bin/env bash
# Score the answering engine on every labelled question table and print one figure per table.
# For information only: a low figure never fails this command (exit 0). It exits non-zero only
# when the scorer itself crashes. A table the engine cannot answer (for example a dialogue table
# while `hoctap ask --conversation` does not exist) is named as not scored; the others still are.
#
#   bash scripts/eval.sh        figures only
#   bash scripts/eval.sh -v     and every miss (passed on to the scorer)
#
# Tables:
#  - the development tables in ../shared/eval, scored by ../shared/eval/score.py, when that
#    folder exists (it is not part of the repository):
#      dev-pack   + dev-questions.csv                                  at 2026-12-02T09:00
#      dev-pack-c + dev-questions-c.csv, dev-computed-c.csv,
#                   dev-dialogues-c.csv                                 at 2027-10-06T10:15
#  - without ../shared/eval, the repository's copy of dev-pack-c (tests/packs/dev-c) instead;
#  - the repository's own tables, the ones the tests score (tests/understanding_helpers.py),
#    all at its default clock 2026-12-02T09:00: tests/packs/dev + tests/packs/dev-questions.csv,
#    tests/packs/*/questions.csv, content/ + tests/packs/bundled-questions.csv, and the held-out
#    tests/heldout/*/questions.csv (at the clock in the pack's `clock` file, if any). They are
#    scored by score.py through `hoctap ask` when
#    ../shared/eval exists, else by the in-repository scorer (python -m
#    tests.understanding_helpers: the same matching rule, on the engine directly).
set -uo pipefail
cd "$(dirname "$0")/.."

SHARED_EVAL=../shared/eval
SCORE="$SHARED_EVAL/score.py"
DEV_NOW=2026-12-02T09:00
C_NOW=2027-10-06T10:15

if [ ! -x .venv/bin/hoctap ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv || exit 2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e . || exit 2
fi

scored=0
unscored=()
crashed=()

# score LABEL PACK TABLE NOW: print LABEL and its figure (and the misses with -v).
score() {
    local label=$1 pack=$2 table=$3 now=$4 out rc last flags=()
    [ "$VERBOSE" = 1 ] && flags=(-v)
    if [ -f "$SCORE" ]; then
        out=$(.venv/bin/python "$SCORE" "$pack" "$table" --now "$now" \
            --cmd .venv/bin/hoctap "${flags[@]}" 2>&1)
    else
        out=$(.venv/bin/python -m tests.understanding_helpers "$pack" "$table" "$now" \
            "${flags[@]}" 2>&1)
    fi
    rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    if [ "$rc" -eq 0 ] && [[ $last == accuracy* ]]; then
        [ "$VERBOSE" = 1 ] && printf '%s\n' "$out" | sed '$d' | sed 's/^/    /'
        printf '%-46s %s\n' "$label" "$last"
        scored=$((scored + 1))
    elif [[ $last == score:* ]]; then
        # score.py ran but the engine failed or answered badly: this table has no figure.
        printf '%-46s NOT SCORED: %s\n' "$label" "${last#score: }"
        printf '%s\n' "$out" | sed '$d' | grep -v '^[[:space:]]*$' | tail -n 4 | sed 's/^/    /'
        unscored+=("$label")
    else
        printf '%-46s SCORER CRASHED (exit %s):\n' "$label" "$rc"
        printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /'
        crashed+=("$label")
    fi
}

VERBOSE=0
case "${1-}" in
    "") ;;
    -v) VERBOSE=1 ;;
    *) echo "usage: bash scripts/eval.sh [-v]" >&2; exit 2 ;;
esac

if [ -f "$SCORE" ]; then
    echo "== development tables ($SHARED_EVAL, score.py through .venv/bin/hoctap ask)"
    score "dev-pack + dev-questions.csv" "$SHARED_EVAL/dev-pack" \
        "$SHARED_EVAL/dev-questions.csv" "$DEV_NOW"
    for table in dev-questions-c dev-computed-c dev-dialogues-c; do
        score "dev-pack-c + $table.csv" "$SHARED_EVAL/dev-pack-c" \
            "$SHARED_EVAL/$table.csv" "$C_NOW"
    done
    if ! diff -rq "$SHARED_EVAL/dev-pack" tests/packs/dev >/dev/null 2>&1 ||
        ! cmp -s "$SHARED_EVAL/dev-questions.csv" tests/packs/dev-questions.csv; then
        echo "note: tests/packs/dev differs from $SHARED_EVAL/dev-pack (or its questions):" \
            "copy them again if the development pack changed"
    fi
    echo "== the repository's own tables (score.py through .venv/bin/hoctap ask)"
else
    if [ -d ../shared ]; then
        echo "$SCORE is absent: the development tables (dev-pack, dev-pack-c) are not scored."
    else
        echo "../shared is absent (it is not part of the repository): the development tables" \
            "(dev-pack, dev-pack-c) are not scored."
    fi
    echo "== the repository's own tables (tests/understanding_helpers.py on the engine)"
    # The copy of dev-pack-c and its tables kept in the repository (for fitting the model).
    for table in questions-c computed-c dialogues-c; do
        score "tests/packs/dev-c + $table.csv" tests/packs/dev-c \
            "tests/packs/dev-c/$table.csv" "$C_NOW"
    done
fi

score "tests/packs/dev + dev-questions.csv" tests/packs/dev tests/packs/dev-questions.csv \
    "$DEV_NOW"
for table in tests/packs/*/questions.csv; do
    pack=$(dirname "$table")
    [ "$pack" = tests/packs/dev ] && continue
    score "$pack" "$pack" "$table" "$DEV_NOW"
done
score "content/ + tests/packs/bundled-questions.csv" content tests/packs/bundled-questions.csv \
    "$DEV_NOW"
for table in tests/heldout/*/questions.csv; do
    pack=$(dirname "$table")
    now=$DEV_NOW
    [ -f "$pack/clock" ] && now=$(cat "$pack/clock")  # the pack's own evaluation clock
    score "$pack (held out)" "$pack" "$table" "$now"
    if [ -f "$pack/dialogues.csv" ]; then
        score "$pack conversations (held out)" "$pack" "$pack/dialogues.csv" "$now"
    fi
done

for dir in tests/heldout/regional/*/; do
    name=$(basename "$dir")
    pack=tests/packs/$name
    [ "$name" = content ] && pack=content
    score "regional held out: $name questions" "$pack" "$dir/questions.csv" "$DEV_NOW"
    score "regional held out: $name dialogues" "$pack" "$dir/dialogues.csv" "$DEV_NOW"
done

echo "== $scored tables scored"
if [ ${#unscored[@]} -gt 0 ]; then
    echo "could not be scored (the engine failed on them): ${unscored[*]}"
fi
if [ ${#crashed[@]} -gt 0 ]; then
    echo "the scorer crashed on: ${crashed[*]}"
    exit 1
fi
exit 0
