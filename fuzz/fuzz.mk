# libFuzzer targets: every fuzz/fuzz_*.c, linked with the library sources
# compiled by clang with the fuzzer, ASan and UBSan instrumentation.
# `make -f fuzz/fuzz.mk` builds them; `run` fuzzes each for FUZZ_SECONDS.

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -Ilib -g -O1 -fsanitize=fuzzer,address,undefined \
                $(shell pkg-config --cflags libxml-2.0 libcurl openssl libisoburn-1 libisofs-1 libburn-1 libcrypt libarchive zlib)
FUZZ_LIBS     = $(shell pkg-config --libs libxml-2.0 libcurl openssl libisoburn-1 libisofs-1 libburn-1 libcrypt libarchive zlib) -lpthread

FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
LIB_SRC  := $(sort $(wildcard lib/*.c))

.PHONY: all run
all: $(FUZZ_BIN)

$(FUZZ_BUILD)/%: fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(FUZZ_LIBS)

run: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	    n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	    $$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-$$n fuzz/seeds/$${n#fuzz_} || exit 1; \
	done
