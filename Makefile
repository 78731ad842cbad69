# vnest build. Plain make: one library (libvnest.a) from lib/, one program
# (vnest) from src/, one test binary per tests/unit/test_*.c, one fuzz target
# per fuzz/fuzz_*.c. New files join the build by being there.
#
#   make            build build/vnest
#   make check      install test dependencies if missing, run every test
#   make demo       install what the demo needs, run it
#   make fuzz       longer fuzzing runs (FUZZ_SECONDS per target)
#   make format     clang-format every source file
#
# BUILD selects the output folder; SAN=1 builds with ASan+UBSan.

CC      ?= cc
BUILD   ?= build
SAN     ?= 0
PREFIX  ?= /usr/local

WARN     = -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Ilib
# Debian packages: jansson (JSON output), OpenSSL
# (vSphere API transport, TLS and certificate pinning), libisoburn
# with libisofs and libburn, which it does not pull in for direct calls (ESXi
# installer ISO remastering), libcrypt (SHA-512 crypt for kickstarts).
# XML (SOAP replies, OVF) is read by vnest's own lib/vn_xml*.c; libxml2 is
# only a test dependency, the peer it is held against.
# libisoburn and libarchive are loaded on first use (lib/vn_lazylib.h), so
# they give only their headers here, not a link.
PKGS     = jansson openssl libcrypt zlib libdeflate libfyaml
PKGS_LAZY = libisoburn-1 libisofs-1 libburn-1 libarchive
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) $(PKGS_LAZY) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread

ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard lib/*.c))
CLI_SRC  := $(sort $(wildcard src/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all lib unit check demo fuzz format format-check clean install man

all: $(BUILD)/vnest

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvnest.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vnest: $(CLI_OBJ) $(BUILD)/libvnest.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvnest.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvnest.a tests/unit/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
	    $(BUILD)/libvnest.a $(LDFLAGS) $(LDLIBS)

# The differential test of vn_xml against libxml2 links libxml2 whatever
# PKGS holds: libxml2 stays a test dependency.
$(BUILD)/tests/test_xml_libxml2: private ALL_CFLAGS += $(shell pkg-config --cflags libxml-2.0)
$(BUILD)/tests/test_xml_libxml2: private LDLIBS += $(shell pkg-config --libs libxml-2.0)

lib: $(BUILD)/libvnest.a
unit: $(UNIT_BIN)

# The tests run the sanitizer build of everything (ASan+UBSan).
check:
	@scripts/deps.sh check
	@$(MAKE) -j2 --no-print-directory BUILD=build/san SAN=1 all unit
	@$(MAKE) -j2 --no-print-directory -f fuzz/fuzz.mk
	@tests/run.sh build/san

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh build/vnest

fuzz:
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk run

man:
	@$(MAKE) --no-print-directory -f docs/man.mk

format:
	clang-format -i lib/*.[ch] src/*.[ch] tests/unit/*.[ch] fuzz/*.c

format-check:
	clang-format --dry-run --Werror lib/*.[ch] src/*.[ch] tests/unit/*.[ch] fuzz/*.c

install: all
	install -D -m 0755 $(BUILD)/vnest $(DESTDIR)$(PREFIX)/bin/vnest

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
