#!/usr/bin/env bash
# Grades every case of checker/testdata/hostile with two builds of check
# (say, main before and after a change) and prints each case's total in
# both. Usage, from the module root:
#
#   git worktree add /tmp/old <commit> && (cd /tmp/old && go build -o /tmp/check-old ./cmd/check)
#   go build -o /tmp/check-new ./cmd/check
#   scripts/hostile-before-after.sh /tmp/old /tmp/check-old . /tmp/check-new
#
# Each check runs inside its own module root (the old one grades with the
# old rules and runner). The case's unsafe run (rules relaxed) exists only
# in the Go test; this script grades what a student would submit.
set -euo pipefail
old_root=$(cd "$1" && pwd); old_bin=$2; new_root=$(cd "$3" && pwd); new_bin=$4
printf '%-22s %-8s %-8s\n' case before after
for f in "$new_root"/checker/testdata/hostile/*.txt; do
	name=$(basename "$f" .txt)
	base=$(sed -n 's/^base: //p' "$f")
	work=$(mktemp -d)
	task=$(basename "$base")
	mkdir -p "$work/$task"
	for src in "$new_root/$base"/*.go; do
		case "$src" in *_test.go) ;; *) cp "$src" "$work/$task/" ;; esac
	done
	awk -v dir="$work" '/^-- .* --$/ { out = dir "/" $2; next } out != "" { print > out }' "$f"
	total() { # root bin -> "score/max" or the error
		(cd "$1" && "$2" -json "$work/result-$(basename "$2").json" "$work/$task" >/dev/null 2>&1) || true
		python3 -c 'import json,sys
try:
    d = json.load(open(sys.argv[1]))
    print("%g/%g" % (d.get("score", 0), d.get("max_score", sum(t.get("max_score", 0) for t in d.get("tests", [])))))
except Exception as e:
    print("error")' "$work/result-$(basename "$2").json"
	}
	printf '%-22s %-8s %-8s\n' "$name" "$(total "$old_root" "$old_bin")" "$(total "$new_root" "$new_bin")"
	rm -rf "$work"
done
