#!/bin/sh
# scripts/check-layers: the real tree passes, and each kind of forbidden
# include in a scratch tree is reported (file:line) and fails the check.
set -u
CHECK=$1
SRC=$2
"$CHECK" "$SRC" || { echo "FAIL: the tree breaks the layer rule"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bad() {  # bad <file> <include line> <expected message part>
  rm -rf "$tmp/t"; mkdir -p "$tmp/t/$(dirname "$1")"
  printf '#include <vector>\n%s\n' "$2" > "$tmp/t/$1"
  out=$("$CHECK" "$tmp/t" 2>&1) && { echo "FAIL: $1 with $2 passed"; exit 1; }
  case "$out" in
    *"$1:2:"*"$3"*) ;;
    *) echo "FAIL: $1 with $2: unexpected report: $out"; exit 1 ;;
  esac
}
bad engine/a.cc '#include "store/journal.h"' 'engine/ must not include'
bad engine/a.h '#include "server/infra/log.h"' 'engine/ must not include'
bad engine/a.cc '#include <boost/asio.hpp>' 'only the standard library'
bad engine/a.cc '#include <sqlite3.h>' 'only the standard library'
bad planning/a.cc '#include "proto/codec.h"' 'planning/ must not include'
bad proto/a.cc '#include "store/journal.h"' 'proto/ must not include'
bad store/a.cc '#include "server/runtime/shard.h"' 'store/ must not include'
bad server/net/a.cc '#include "engine/engine.h"' 'server/net/ must not include'
bad server/wire/a.cc '#include "server/live/hub.h"' 'server/wire/ must not include'
bad server/runtime/a.cc '#include "server/api/service.h"' 'server/runtime/ must not include'
bad server/infra/a.cc '#include "server/runtime/auth.h"' 'server/infra/ must not include'
bad server/infra/a.cc '#include "proto/codec.h"' 'server/infra/ must not include'
bad cli/a.cc '#include "server/runtime/shard.h"' 'cli/ must not include'
bad server/api/a.cc '#include "../../engine/engine.h"' "climbs with '..'"
bad server/net/ws_x.h '#include <boost/beast/core.hpp>' 'Beast/Asio only in'
bad server/net/ws_x.cc '#include "server/net/net.h"' 'Beast/Asio only in'
bad server/api/a.cc '#include <boost/asio.hpp>' 'Beast/Asio only in'

bad server/net/a.cc '#include "server/runtime/shard.h"' 'server/net/ must not include'

# server/net reaches no engine/, store/ or proto/ header, not even through an
# allowed header: the chain is printed.
reach() {  # reach <header of an allowed folder> <its include> <expected chain>
  rm -rf "$tmp/t"; mkdir -p "$tmp/t/server/net" "$tmp/t/$(dirname "$1")"
  printf '#include "%s"\n' "$1" > "$tmp/t/server/net/a.cc"
  printf '#pragma once\n%s\n' "$2" > "$tmp/t/$1"
  out=$("$CHECK" "$tmp/t" 2>&1) && { echo "FAIL: server/net reaching $2 through $1 passed"; exit 1; }
  case "$out" in
    *"server/net/a.cc: reaches"*"$3"*) ;;
    *) echo "FAIL: server/net through $1: unexpected report: $out"; exit 1 ;;
  esac
}
reach server/infra/x.h '#include "engine/engine.h"' 'server/net/a.cc -> server/infra/x.h -> engine/engine.h'
reach server/api/x.h '#include "store/journal.h"' 'server/net/a.cc -> server/api/x.h -> store/journal.h'
reach server/live/x.h '#include "proto/codec.h"' 'server/net/a.cc -> server/live/x.h -> proto/codec.h'
# Two headers deep.
rm -rf "$tmp/t"; mkdir -p "$tmp/t/server/net" "$tmp/t/server/wire" "$tmp/t/server/infra"
printf '#include "server/wire/y.h"\n' > "$tmp/t/server/net/b.h"
printf '#include "server/infra/z.h"\n' > "$tmp/t/server/wire/y.h"
printf '#include "engine/view.h"\n' > "$tmp/t/server/infra/z.h"
out=$("$CHECK" "$tmp/t" 2>&1) && { echo "FAIL: server/net reaching the engine two headers deep passed"; exit 1; }
case "$out" in
  *"server/net/b.h -> server/wire/y.h -> server/infra/z.h -> engine/view.h"*) ;;
  *) echo "FAIL: two headers deep: unexpected report: $out"; exit 1 ;;
esac

# Allowed includes pass.
rm -rf "$tmp/t"; mkdir -p "$tmp/t/planning" "$tmp/t/server/api" "$tmp/t/server/net"
printf '#include <boost/beast/core.hpp>\n#include "server/net/net.h"\n#include "server/infra/ok.h"\n' > "$tmp/t/server/net/ws_session.cc"
mkdir -p "$tmp/t/server/infra"; printf '#pragma once\n#include <string>\n' > "$tmp/t/server/infra/ok.h"
printf '#include <vector>\n#include "engine/engine.h"\n#include "planning/x.h"\n' > "$tmp/t/planning/a.cc"
printf '#include "server/runtime/shard.h"\n#include "proto/codec.h"\n#include <boost/json.hpp>\n' > "$tmp/t/server/api/a.cc"
"$CHECK" "$tmp/t" || { echo "FAIL: allowed includes refused"; exit 1; }
echo "ok"
