#!/usr/bin/env bash
# Builds rehabsync-fuzz with libFuzzer and AddressSanitizer and fuzzes one target, starting
# from the corpus under Tests/. Not part of .ci/run (which runs the bounded seeded mutator
# in swift test); a documented long run:
#   .ci/fuzz.sh http-parser -max_total_time=3600
# Targets: http-parser, record-state, push-batch, identifiers. Findings land in
# .build-fuzz/findings/; replay one with
#   .build-fuzz/release/rehabsync-fuzz <finding>   (REHABSYNC_FUZZ_TARGET=<target>)
# and turn it into a regression input under Tests/RehabSyncFuzzingTests/Corpus/ plus a test.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: .ci/fuzz.sh http-parser|record-state|push-batch|identifiers [libFuzzer options]}
shift
swift build -c release --build-path .build-fuzz --product rehabsync-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
mkdir -p ".build-fuzz/corpus/$target" .build-fuzz/findings
REHABSYNC_FUZZ_TARGET=$target exec .build-fuzz/release/rehabsync-fuzz \
  ".build-fuzz/corpus/$target" "Tests/RehabSyncFuzzingTests/Corpus/$target" \
  -artifact_prefix=".build-fuzz/findings/$target-" "$@"
