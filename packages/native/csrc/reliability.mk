# The reliability suite of the C core (docs/reliability.md), included by the Makefile.
# `make test` is untouched by it; `make reliability` builds and runs:
#   - the reliability tests (stalled writer, permissions with a second uid, exhaustion,
#     counter wrap, 900 crash iterations) under ASan/UBSan with the test hooks,
#   - the threads-only harness under ThreadSanitizer (gcc -fsanitize=thread),
#   - both libFuzzer targets (clang): corpus replay, then FUZZ_SECONDS of fuzzing each.
#   make reliability                       what CI runs (FUZZ_SECONDS=60)
#   make reliability-tests                 the tests alone, no fuzzing
#   make fuzz FUZZ_SECONDS=600             longer fuzzing
#   SHMSTATE_CRASH_ITERATIONS=5000 make reliability-tests
#   make fuzz-seeds                        rewrite the seed corpus (then commit it)
CLANG ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := fuzz
FUZZ_TARGETS := fuzz_segment_bytes fuzz_mutate_between_reads
FUZZ_BINS := $(addprefix $(BIN)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -I. -I$(FUZZ_DIR) -g -O1 \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer

RELIABILITY_TESTS := test_stall test_permissions test_exhaustion test_wrap test_crash_many
RELIABILITY_BINS := $(addprefix $(BIN)/,$(RELIABILITY_TESTS))
TSAN_BIN := $(BIN)/tsan/test_threads_tsan
TSAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -fsanitize=thread -Itest
# The stalled-writer test stops a real commit inside it: the checksum of the payload is
# computed with the lock held and the slot's seq odd, so wrapping that one call gives a
# stop point without a hook in the core.
STALL_LDFLAGS := -Wl,--wrap=shmstate_crc32c

.PHONY: reliability reliability-tests fuzz fuzz-build fuzz-seeds tsan

$(filter-out $(BIN)/test_stall,$(RELIABILITY_BINS)): $(BIN)/%: $(BIN)/asan/test/%.o $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/test_stall: $(BIN)/asan/test/test_stall.o $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) $(STALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(TSAN_BIN): test/test_threads_tsan.c test/harness.c $(CORE_SRCS) $(CORE_HDRS) $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -o $@ test/test_threads_tsan.c test/harness.c $(CORE_SRCS) $(LDLIBS)

$(BIN)/fuzz/%: $(FUZZ_DIR)/%.c $(FUZZ_DIR)/fuzz_input.h $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS) $(LDLIBS)

$(BIN)/make_seeds: $(FUZZ_DIR)/make_seeds.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -o $@ $< $(CORE_SRCS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-seeds: $(BIN)/make_seeds
	mkdir -p $(FUZZ_DIR)/corpus/segment_bytes $(FUZZ_DIR)/corpus/mutate_between_reads
	$(BIN)/make_seeds $(FUZZ_DIR)/corpus/segment_bytes $(FUZZ_DIR)/corpus/mutate_between_reads

fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh $(FUZZ_DIR)/run-fuzz.sh $(BIN)/fuzz

tsan: $(TSAN_BIN)
	sh test/run-tsan.sh $(TSAN_BIN)

reliability-tests: $(RELIABILITY_BINS) $(TSAN_BIN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh test/run.sh $(RELIABILITY_BINS) test/run-tsan.sh

reliability: $(RELIABILITY_BINS) $(TSAN_BIN) $(FUZZ_BINS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  FUZZ_SECONDS=$(FUZZ_SECONDS) sh test/run.sh $(RELIABILITY_BINS) test/run-tsan.sh \
	  $(FUZZ_DIR)/run-fuzz.sh
