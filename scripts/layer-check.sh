#!/usr/bin/env bash
# The dependency rule of the tree, checked on every #include "..." line:
#   decoders/ and config/ include nothing of ours outside themselves; sinks/ only the event type
#   (decoders/base, decoders/events/event.h) and itself; connector/ wires everything.
#   Inside decoders/ the wings go one way: base -> wire -> values -> events -> json
#   (a wing includes only itself and the wings before it).
# One line per violation, exit 1 if any. Usage: scripts/layer-check.sh [repo root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

rank() {
  case "$1" in
    base) echo 0 ;; wire) echo 1 ;; values) echo 2 ;; events) echo 3 ;; json) echo 4 ;;
    *) echo 99 ;;
  esac
}

bad=0
report() {
  echo "layer-check: $1" >&2
  bad=1
}

while IFS= read -r file; do
  dir=${file%%/*}
  wing=""
  if [[ $dir == decoders ]]; then
    wing=$(echo "$file" | cut -d/ -f2)
    [[ $(rank "$wing") == 99 ]] && report "$file: not in a wing (base, wire, values, events, json)"
  fi
  while IFS= read -r inc; do
    target=$(echo "$inc" | sed -E 's/.*#include "([^"]+)".*/\1/')
    tdir=${target%%/*}
    case "$dir" in
      decoders)
        if [[ $tdir != decoders ]]; then
          report "$file includes $target: decoders/ depends on nothing of ours"
        else
          twing=$(echo "$target" | cut -d/ -f2)
          if (($(rank "$twing") > $(rank "$wing"))); then
            report "$file includes $target: the $wing wing may not include the later $twing wing"
          fi
        fi
        ;;
      config)
        [[ $tdir == config ]] || report "$file includes $target: config/ depends on nothing of ours"
        ;;
      sinks)
        case "$target" in
          sinks/* | decoders/base/* | decoders/events/event.h) ;;
          *) report "$file includes $target: sinks/ depends on the event type only" ;;
        esac
        ;;
    esac
  done < <(grep -E '^#include "(decoders|config|sinks|connector)/' "$file" || true)
done < <(git ls-files 'decoders/*.h' 'decoders/*.cc' 'config/*.h' 'config/*.cc' 'sinks/*.h' 'sinks/*.cc')

if ((bad)); then exit 1; fi
echo "layer-check: ok"
