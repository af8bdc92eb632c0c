#!/bin/sh
# expect.sh CODE REGEX COMMAND [ARGS...]: runs COMMAND, passes when its exit
# code is CODE and its output (stdout and stderr) matches the extended regex.
code=$1; regex=$2; shift 2
out=$("$@" 2>&1); rc=$?
if [ "$rc" -ne "$code" ]; then
  printf 'expected exit code %s, got %s\n%s\n' "$code" "$rc" "$out"; exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  printf 'output does not match /%s/:\n%s\n' "$regex" "$out"; exit 1
fi
exit 0
