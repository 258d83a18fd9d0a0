#!/usr/bin/env bash
# The dependency rule of the tree, checked on every #include "..." line:
#   decoders/ and config/ include nothing of ours outside themselves; sinks/ only the event type
#   (decoders/base, decoders/events/event.h) and itself; connector/ wires everything.
#   Inside decoders/ the wings go one way: base -> wire -> values -> events -> json | avro ->
#   protobuf (a wing includes only itself and the wings before it; json and avro, two formats,
#   not each other; protobuf writes the json format's payload as Protobuf, so it may include
#   json, not avro). And no include cycle anywhere.
# One line per violation, exit 1 if any. Usage: scripts/layer-check.sh [repo root]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

rank() {
  case "$1" in
    base) echo 0 ;; wire) echo 1 ;; values) echo 2 ;; events) echo 3 ;; json | avro) echo 4 ;; protobuf) echo 5 ;;
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
    [[ $(rank "$wing") == 99 ]] && report "$file: not in a wing (base, wire, values, events, json, avro, protobuf)"
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
          elif [[ $twing != "$wing" && $(rank "$twing") == 4 && ! ($wing == protobuf && $twing == json) ]]; then
            report "$file includes $target: the $wing and $twing formats are independent"
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

# No include cycle anywhere in our code (a cycle would make the layers above meaningless).
if ! python3 - <<'PY'
import re, subprocess, sys
files = subprocess.run(["git", "ls-files", "*.h", "*.cc"], capture_output=True, text=True,
                       check=True).stdout.split()
graph = {f: [m for m in re.findall(r'^#include "([^"]+)"', open(f).read(), re.M)] for f in files}
state, stack = {}, []
def visit(f):
    state[f] = 1
    stack.append(f)
    for g in graph.get(f, []):
        if g not in graph:
            continue
        if state.get(g) == 1:
            print("layer-check: include cycle: " + " -> ".join(stack[stack.index(g):] + [g]),
                  file=sys.stderr)
            return False
        if g not in state and not visit(g):
            return False
    stack.pop()
    state[f] = 2
    return True
sys.exit(0 if all(visit(f) for f in files if f not in state) else 1)
PY
then
  bad=1
fi

if ((bad)); then exit 1; fi
echo "layer-check: ok"
