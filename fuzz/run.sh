#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time from its seed corpus: `make test` runs this; `make fuzz
# FUZZ_SECONDS=600` runs longer. Exits non-zero on the first crash.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-15}
OUT=${FUZZ_BUILD:-build-fuzz}
mkdir -p "$OUT"
CFLAGS="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DGANTRY_XPC_INTERNAL -Iinclude -Isrc/common -Isrc/jobspec -Isrc/launchd -Isrc/launchd/core -Isrc/launchd/triggers -Isrc/launchd/control -Isrc/launchd/sm -Isrc/launchd/xpcsvc -Isrc/launchd/session"
XPC="$(ls src/libxpc/*.c | tr "\n" " ") src/common/paths.c src/common/plistio.c src/common/bundle.c src/common/digest.c src/common/safefile.c src/common/oom.c src/common/accept.c"
SPEC="src/jobspec/spec.c src/jobspec/spec_parse.c src/jobspec/spec_compat.c src/jobspec/spec_keys.c src/jobspec/spec_sockets.c src/jobspec/spec_constraints.c src/jobspec/calendar.c src/common/errors.c src/common/plistio.c src/common/safefile.c src/common/oom.c"
clang $CFLAGS $(pkg-config --cflags libplist-2.0) -o "$OUT/fuzz_wire" fuzz/fuzz_wire.c $XPC \
	$(pkg-config --libs libplist-2.0) -lBlocksRuntime -lpthread
clang $CFLAGS $(pkg-config --cflags libplist-2.0 expat) -o "$OUT/fuzz_spec" fuzz/fuzz_spec.c $SPEC \
	$(pkg-config --libs libplist-2.0 expat)
# every request handler, and Service Management's bundle derivation: launchd's sources but main.c (the
# harness is main), spawn.c and trusted.c (launchd_stubs.c: nothing starts, no job's file is opened)
LAUNCHD="fuzz/launchd_stubs.c $(find src/jobspec src/launchd -name '*.c' | grep -v -e '/main\.c$' -e '/spawn\.c$' -e '/trusted\.c$' | sort) $XPC src/common/errors.c \
	src/common/atomicfile.c"
for target in requests smderive; do
	clang $CFLAGS -Ifuzz $(pkg-config --cflags libplist-2.0 expat) -o "$OUT/fuzz_$target" "fuzz/fuzz_$target.c" \
		$LAUNCHD $(pkg-config --libs libplist-2.0 expat) -ldl -lpthread -lBlocksRuntime
done
for target in wire spec requests smderive; do
	mkdir -p "$OUT/corpus-$target"
	echo "fuzz_$target: ${SECONDS_EACH}s"
	# the launchd targets keep launchd's state between inputs (a daemon does): its leaks show in the e2e ASan runs
	leaks=1
	case $target in requests | smderive) leaks=0 ;; esac
	"$OUT/fuzz_$target" -max_total_time="$SECONDS_EACH" -print_final_stats=0 -detect_leaks=$leaks "$OUT/corpus-$target" \
		"fuzz/corpus/$target" 2>"$OUT/fuzz_$target.log" || { tail -40 "$OUT/fuzz_$target.log"; exit 1; }
	grep -E "^#[0-9]+ +DONE" "$OUT/fuzz_$target.log" || tail -1 "$OUT/fuzz_$target.log"
done
