# libFuzzer targets: every fuzz/fuzz_*.c, linked with the library compiled
# once by clang with the fuzzer, ASan and UBSan instrumentation.
# `make -f fuzz/fuzz.mk` builds them; `run` fuzzes each for FUZZ_SECONDS.

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
# libxml2: the peer of fuzz_xml_diff (vnest itself does not link it)
PKGS_FUZZ     = libxml-2.0 openssl libcrypt zlib libdeflate libfyaml
PKGS_LAZY     = libisoburn-1 libisofs-1 libburn-1 libarchive
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -Ilib -g -O1 $(shell pkg-config --cflags $(PKGS_FUZZ) $(PKGS_LAZY))
FUZZ_LIBS     = $(shell pkg-config --libs $(PKGS_FUZZ)) -ldl -lpthread

FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
LIB_SRC  := $(sort $(wildcard lib/*.c))
# The library is compiled once for every target (instrumented, not linked
# with libFuzzer's main), instead of once per target.
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: all run
all: $(FUZZ_BIN)

$(FUZZ_BUILD)/obj/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_OBJ) $(FUZZ_LIBS)

run: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	    n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	    $$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-$$n fuzz/seeds/$${n#fuzz_} || exit 1; \
	done
