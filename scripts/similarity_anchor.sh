#!/bin/sh
# similarity_anchor.sh: run Dolos (npm @dodona/dolos-lib, tree-sitter Go
# parser) on checker/similar's robustness corpus, as an anchor beside
# `check similar` (issue 16). Dolos is installed under $DOLOS_DIR
# (default /tmp/nnkit-dolos), never in the repository; the npm registry
# is the only thing fetched. Every corpus file of a task is one
# submission, and the task's stub (the one Go file of exercises/<task>/)
# is Dolos's ignored (template) file, as the kit's base code is ours.
#
# It writes one CSV, task,a,b,similarity (Dolos's pair similarity, file
# base names), to $1 (default /tmp/nnkit-dolos/anchor.csv), then prints
# the same precision/recall table as TestCorpusRobustness for it:
#
#   sh scripts/similarity_anchor.sh
#
# The first install takes minutes (the parsers are native addons).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${DOLOS_DIR:-/tmp/nnkit-dolos}
out=${1:-$dir/anchor.csv}
version=3.5.1
mkdir -p "$dir"
cd "$dir"
if [ ! -d node_modules/@dodona/dolos-lib ]; then
	[ -f package.json ] || npm init -y >/dev/null
	npm install --no-audit --no-fund "@dodona/dolos-lib@$version" >&2
fi
cat >run.mjs <<'EOF'
// node run.mjs CORPUS_DIR TASK...: Dolos on every corpus file of each
// task, the task's stub ignored; one CSV line per pair.
import { Dolos } from "@dodona/dolos-lib";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
const [corpus, kit, ...tasks] = process.argv.slice(2);
console.log("task,a,b,similarity");
for (const task of tasks) {
  const dir = join(corpus, task);
  const files = readdirSync(dir).filter(f => f.endsWith(".go.txt")).sort().map(f => join(dir, f));
  const dolos = new Dolos({ language: "go" });
  const stubs = readdirSync(join(kit, "exercises", task)).filter(f => f.endsWith(".go"));
  if (stubs.length !== 1) throw new Error(`exercises/${task}: ${stubs.length} Go files, expected the one stub`);
  const report = await dolos.analyzePaths(files, join(kit, "exercises", task, stubs[0]));
  for (const p of report.allPairs()) {
    console.log([task, basename(p.leftFile.path), basename(p.rightFile.path), p.similarity.toFixed(4)].join(","));
  }
}
EOF
node run.mjs "$root/checker/similar/testdata/corpus" "$root" task1 task2 task4 >"$out"
echo "similarity_anchor: Dolos $version's pairs in $out" >&2
cd "$root"
go test ./checker/similar -run 'TestCorpusRobustness$' -count=1 -v -args -corpus-markdown -corpus-anchor "$out"
