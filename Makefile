# floodgate - GNU Makefile. Targets: all check run install lint format-check
# clean fuzz. `make SANITIZE=1 check` builds with ASan+UBSan into build-san/;
# `make VALGRIND=1 check` runs the daemons under valgrind; `make fuzz`
# builds the libFuzzer targets of t/fuzz with clang into build-fuzz/.

CC       ?= gcc
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR  ?=
SANITIZE ?=
VALGRIND ?=
FUZZ     ?=
O        := build$(if $(FUZZ),-fuzz,$(if $(SANITIZE),-san))

PKGS     := libevent hiredis libconfuse libcrypto
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -D_GNU_SOURCE $(WARN) -Icommon \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
# FUZZ=1 (set by make fuzz): every object instrumented for libFuzzer
ifneq ($(FUZZ),)
CC       := clang
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined \
            -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

COMMON_SRC  := $(wildcard common/*.c)
COMMON_OBJ  := $(COMMON_SRC:%.c=$(O)/%.o)
POLICYD_SRC := $(wildcard policyd/*.c)
POLICYD_OBJ := $(POLICYD_SRC:%.c=$(O)/%.o)
ADMIN_SRC   := $(wildcard common/admin/*.c)
ADMIN_OBJ   := $(ADMIN_SRC:%.c=$(O)/%.o)
MILTER_SRC  := $(wildcard milter/*.c)
MILTER_OBJ  := $(MILTER_SRC:%.c=$(O)/%.o)
BENCH_SRC   := $(wildcard t/bench/*.c)
BENCH_BIN   := $(BENCH_SRC:t/bench/%.c=$(O)/t/bench/%)
TOOL_SRC    := $(wildcard t/tools/*.c)
TOOL_BIN    := $(TOOL_SRC:t/tools/%.c=$(O)/t/tools/%)
UNIT_SRC    := $(wildcard t/unit/*.c)
UNIT_BIN    := $(UNIT_SRC:t/unit/%.c=$(O)/t/%.t)
FUZZ_SRC    := $(wildcard t/fuzz/*.c)
FUZZ_BIN    := $(FUZZ_SRC:t/fuzz/%.c=build-fuzz/t/fuzz/%)
LIB         := $(O)/libfloodgate.a
# the daemons' modules minus main, for the unit tests
POLICYD_LIB := $(O)/libpolicyd.a
MILTER_LIB  := $(O)/libmilter-fg.a
ADMIN_LIB   := $(O)/libadmin.a
POLICYD     := $(O)/floodgate-policyd
MILTER      := $(O)/floodgate-milter
ADMIN       := $(O)/floodgate
MILTER_LIBS := -lmilter -pthread

.PHONY: all check run install lint format-check clean deps unit bench \
	bench-tools fuzz fuzz-targets deb
all: $(POLICYD) $(MILTER) $(ADMIN)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(POLICYD): $(POLICYD_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(MILTER): $(MILTER_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MILTER_LIBS)

# the admin command, floodgate(8): its sources in common/admin/
$(ADMIN): $(ADMIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(POLICYD_LIB): $(filter-out $(O)/policyd/main.o,$(POLICYD_OBJ))
	rm -f $@ && $(AR) rcs $@ $^
$(MILTER_LIB): $(filter-out $(O)/milter/main.o,$(MILTER_OBJ))
	rm -f $@ && $(AR) rcs $@ $^
$(ADMIN_LIB): $(filter-out $(O)/common/admin/main.o,$(ADMIN_OBJ))
	rm -f $@ && $(AR) rcs $@ $^

# a unit test links only the modules it uses (archives)
$(O)/t/%.t: t/unit/%.c t/tap.h t/conffile.h t/redisreply.h t/qimg.h $(POLICYD_LIB) $(MILTER_LIB) $(ADMIN_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -It -Ipolicyd -Imilter -Icommon/admin $(LDFLAGS) -o $@ $< \
	    $(POLICYD_LIB) $(MILTER_LIB) $(ADMIN_LIB) $(LIB) $(LDLIBS) $(MILTER_LIBS)

# the benchmark tools (t/bench): load generator, DUNNO server, Redis
# ceiling, trivial milter
$(O)/t/bench/%: t/bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Imilter $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(MILTER_LIBS)

bench-tools: $(BENCH_BIN)

# tools the tests drive (t/tools): limitctl runs the limiter by hand,
# cslotctl the cluster routing against real Redis nodes
$(O)/t/tools/%: t/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)


# the libFuzzer targets (t/fuzz, one per parser), built with FUZZ=1
build-fuzz/t/fuzz/%: t/fuzz/%.c t/fuzz/fuzz.h t/redisreply.h $(POLICYD_LIB) $(MILTER_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -It -Ipolicyd -Imilter $(LDFLAGS) \
	    -o $@ $< $(POLICYD_LIB) $(MILTER_LIB) $(LIB) $(LDLIBS) $(MILTER_LIBS)

fuzz-targets: $(FUZZ_BIN)

# make fuzz: the targets; README says how to run them (t/fuzz.t: briefly)
fuzz: deps
	$(MAKE) FUZZ=1 fuzz-targets

# make bench: minutes; not part of check (t/bench-smoke.t is)
bench: deps
	@packaging/install-deps --bench --check >/dev/null 2>&1 || \
	    packaging/install-deps --bench
	$(MAKE) all bench-tools
	FG_BUILD=$(CURDIR)/$(O) perl t/bench/run
	FG_BUILD=$(CURDIR)/$(O) perl t/bench/notify-latency

# install build and test dependencies when something is missing
deps:
	@packaging/install-deps --check >/dev/null 2>&1 || packaging/install-deps

check: deps
	$(MAKE) all unit bench-tools $(TOOL_BIN) lint format-check
	$(MAKE) FUZZ=1 fuzz-targets
	FG_BUILD=$(CURDIR)/$(O) FG_VALGRIND=$(VALGRIND) \
	    FG_FUZZ_BUILD=$(CURDIR)/build-fuzz \
	    prove --exec '' -f $(UNIT_BIN) $(wildcard t/*.t)

unit: $(UNIT_BIN)

run: deps
	$(MAKE) all
	packaging/run-dev $(O)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/floodgate
	install -m 755 $(POLICYD) $(MILTER) $(ADMIN) $(DESTDIR)$(SBINDIR)/
	install -m 644 policyd/floodgate-policyd.8 milter/floodgate-milter.8 \
	    common/admin/floodgate.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -m 644 conf/floodgate.conf.5 $(DESTDIR)$(MANDIR)/man5/
	[ -e $(DESTDIR)$(SYSCONFDIR)/floodgate/floodgate.conf ] || \
	    install -m 640 conf/floodgate.conf \
	    $(DESTDIR)$(SYSCONFDIR)/floodgate/floodgate.conf

# make deb: floodgate_<version>_<arch>.deb in build-deb/, built by
# dpkg-buildpackage (debhelper 13) from a clean copy of the tree with
# packaging/debian as debian/ and the units and nftables snippet beside
# it; no network. The top level keeps its layout.
DEB_VERSION  = $(shell dpkg-parsechangelog -l packaging/debian/changelog -S Version 2>/dev/null)
DEB_TREE     = build-deb/floodgate-$(DEB_VERSION)
deb:
	@packaging/install-deps --check >/dev/null 2>&1 || packaging/install-deps
	rm -rf build-deb && mkdir -p $(DEB_TREE)
	cp -a Makefile README COPYING common policyd milter conf $(DEB_TREE)/
	cp -a packaging/debian $(DEB_TREE)/debian
	for u in floodgate-policyd floodgate-milter; do \
	    [ ! -f packaging/systemd/$$u.service ] || \
	    cp packaging/systemd/$$u.service $(DEB_TREE)/debian/floodgate.$$u.service; \
	done
	[ ! -f packaging/outbound-smtp.nft ] || \
	    cp packaging/outbound-smtp.nft $(DEB_TREE)/debian/
	[ ! -f packaging/smtp-denied ] || cp packaging/smtp-denied \
	    packaging/floodgate-smtp-denied.8 $(DEB_TREE)/debian/
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || \
	    { tail -40 ../build.log; exit 1; }
	@ls build-deb/*.deb

# banned string functions (STYLE.md) outside tests; comments that name
# their function, statics that carry their module's prefix
lint:
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets)[[:space:]]*\(' \
	    common/*.[ch] common/admin/*.[ch] policyd/*.[ch] milter/*.[ch] || \
	    { echo 'lint: banned function'; exit 1; }
	@perl t/tools/lint-names common/*.[ch] common/admin/*.[ch] \
	    policyd/*.[ch] milter/*.[ch]
	@perl t/tools/lint-names -c t/unit/*.c t/tools/*.c t/bench/*.c t/fuzz/*.c \
	    t/*.h t/fuzz/*.h
	@echo 'lint: ok'

format-check:
	@command -v clang-format >/dev/null || { echo 'format-check: clang-format missing'; exit 1; }
	@clang-format --dry-run --Werror common/*.[ch] common/admin/*.[ch] \
	    policyd/*.[ch] milter/*.[ch] \
	    t/unit/*.c t/bench/*.c t/tools/*.c t/fuzz/*.[ch] t/*.h

clean:
	rm -rf build build-san build-fuzz build-deb

-include $(wildcard $(O)/*/*.d $(O)/*/*/*.d $(O)/t/*.d)
