#!/usr/bin/env bash
# docs_links.sh SOURCE_DIR: every relative Markdown link in README.md and
# docs/*.md names a file of the repository, and the documents the README
# promises exist (the design document among them).
set -euo pipefail
src=$1
cd "$src"
bad=0
for doc in README.md docs/*.md bench/RESULTS.md; do
  dir=$(dirname "$doc")
  # [text](target): relative targets only (no scheme, no anchor-only links).
  while IFS= read -r target; do
    path=${target%%#*}
    [ -z "$path" ] && continue
    case $path in http://*|https://*|mailto:*) continue ;; esac
    if [ ! -e "$dir/$path" ]; then
      echo "FAIL: $doc links to '$target', which does not exist"
      bad=1
    fi
  done < <(grep -o '\]([^)]*)' "$doc" | sed 's/^](\(.*\))$/\1/')
done
for must in docs/design.md docs/api.md docs/cli.md; do
  [ -s "$must" ] || { echo "FAIL: $must is missing"; bad=1; }
  grep -q "($(basename "$must"))\|(docs/$(basename "$must"))" README.md || { echo "FAIL: README does not link $must"; bad=1; }
done
grep -qi "DESIGN document" README.md docs/*.md && { echo "FAIL: a document points at a DESIGN document outside the repository"; bad=1; }
[ $bad = 0 ] && echo "PASS: documentation links"
exit $bad
