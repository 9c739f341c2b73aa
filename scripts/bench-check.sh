#!/usr/bin/env bash
# Times the checker as students and instructors use it, with two builds
# of check side by side (say, main before and after a change), on a warm
# build cache, interleaved round by round so that both see the same load:
#
#   check ./exercises/task1             (a student's stubs)
#   check ./exercises/task3
#   check grade of one complete submission (the solutions, all four tasks
#   and the conceptual answers, packed by `check submit`)
#
# Usage, from the module root:
#
#   git worktree add /tmp/old <commit> && (cd /tmp/old && go build -o /tmp/check-old ./cmd/check)
#   go build -o /tmp/check-new ./cmd/check
#   scripts/bench-check.sh /tmp/old /tmp/check-old . /tmp/check-new [ROUNDS]
#
# It prints every round's seconds and, per workload and build, the median
# and the range. Never a pass/fail: the figures go into notes and docs.
set -euo pipefail
old_root=$(cd "$1" && pwd); old_bin=$2; new_root=$(cd "$3" && pwd); new_bin=$4; rounds=${5:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One complete submission per build, made from that build's own
# solutions and packed by its own `check submit`, as a student of that
# kit would pack it.
pack() { # root bin name
	local kit="$work/kit-$3"
	mkdir -p "$kit" "$work/subs-$3"
	git -C "$1" archive HEAD | tar -x -C "$kit"
	for t in task1 task2 task3 task4; do cp "$kit"/solutions/$t/*.go "$kit"/exercises/$t/ && rm -f "$kit"/exercises/$t/*_test.go; done
	cp "$kit"/conceptual/reference/{p1.go,answers.txt,p2.md,p4.md,p6.md} "$kit"/conceptual/answers/
	sed -i 's/^package reference$/package answers/' "$kit"/conceptual/answers/p1.go # older kits
	(cd "$kit" && "$2" submit -id 3180100001 >"$work/submit-$3.log" 2>&1) || true
	mv "$kit"/*_assignment2.zip "$work/subs-$3/" || { echo "$3: check submit made no zip:"; cat "$work/submit-$3.log"; exit 1; }
}
pack "$old_root" "$old_bin" old
pack "$new_root" "$new_bin" new

secs() { # dir command... -> seconds (the command's exit status ignored)
	local dir=$1; shift
	local t0 t1
	t0=$(date +%s.%N)
	(cd "$dir" && "$@" >/dev/null 2>&1) || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
declare -A times
for name in old new; do
	root=$old_root; bin=$old_bin
	[ $name = new ] && { root=$new_root; bin=$new_bin; }
	# Warm the build cache.
	secs "$root" "$bin" ./exercises/task1 >/dev/null
	secs "$root" "$bin" ./exercises/task3 >/dev/null
	secs "$root" "$bin" grade "$work/subs-$name" -out "$work/warm-$name" >/dev/null
done
for r in $(seq 1 "$rounds"); do
	for name in old new; do
		root=$old_root; bin=$old_bin
		[ $name = new ] && { root=$new_root; bin=$new_bin; }
		rm -rf "$work/out-$name"
		a=$(secs "$root" "$bin" ./exercises/task1)
		b=$(secs "$root" "$bin" ./exercises/task3)
		c=$(secs "$root" "$bin" grade "$work/subs-$name" -out "$work/out-$name")
		times[$name,task1]+="$a "; times[$name,task3]+="$b "; times[$name,grade]+="$c "
		echo "round $r $name: task1 $a s, task3 $b s, grade $c s"
	done
done
for w in task1 task3 grade; do
	for name in old new; do
		echo "${times[$name,$w]}" | tr ' ' '\n' | grep . | sort -n | awk -v n="$name" -v w="$w" '{a[NR]=$1} END {printf "%-6s %-4s median %.2f s, range %.2f-%.2f s (%d rounds)\n", w, n, a[int((NR+1)/2)], a[1], a[NR], NR}'
	done
done
for name in old new; do
	echo "$name: $(tail -n 1 "$work/out-$name/summary.txt" 2>/dev/null), $(grep 3180100001 "$work/out-$name/summary.txt" 2>/dev/null | tr -s ' ')"
done
