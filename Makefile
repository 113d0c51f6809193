# SPDX-License-Identifier: GPL-2.0
# skbtop: `make help` lists the targets.

ARCH ?= x86
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
OUT ?= build
BIN ?= skbtop
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CPPFLAGS += -Iinclude -Icli -I$(OUT)
LDLIBS += -lbpf -lelf -lz -ljansson -lncursesw -lmicrohttpd -lm
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Iinclude -Wall -Wno-unused-function

PROBES := $(patsubst probes/%.bpf.c,%,$(wildcard probes/*.bpf.c))
SKELS := $(patsubst %,$(OUT)/%.skel.h,$(PROBES))
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst cli/%.c,$(OUT)/%.o,$(CLI_SRCS))
LIB_OBJS := $(filter-out $(OUT)/main.o,$(CLI_OBJS))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all gen deps deps-build install uninstall demo test test-unit bench-helpers test-fuzz test-live test-vm bench soak review-demo review-series clean help lint test-docs man review-kernel

all: $(BIN)

help:
	@echo 'skbtop targets:'
	@echo '  make            build ./skbtop (BPF objects, skeletons, binary)'
	@echo '  make install    install the binary, man page, bash completion and the'
	@echo '                  skbtop-export systemd unit under PREFIX (/usr/local);'
	@echo '                  DESTDIR, BINDIR, MANDIR, COMPLETIONDIR, UNITDIR override'
	@echo '  make uninstall  remove what make install installed (same variables)'
	@echo '  make deps-build install the Debian packages building skbtop needs (idempotent)'
	@echo '  make deps       deps-build + the packages the tests need (idempotent)'
	@echo '  make demo       deps-build + build, then run skbtop over a built-in workload'
	@echo '  make test       deps + build, then every test tier this machine can run'
	@echo '  make test-unit  unit tests only (no root), with the bench helpers built and run'
	@echo '  make test-docs  man page current, help and field registry agree, 72-column report/diff'
	@echo '  make man        regenerate man/skbtop.8 sections from man/*.md and the field registry'
	@echo '  make test-live  live tests on this kernel (root)'
	@echo '  make test-vm    VM tests on Debian kernels under QEMU (root)'
	@echo '  make test-fuzz  libFuzzer run over the capture reader (20 s, ASan+UBSan)'
	@echo '  make bench      overhead benchmarks, A/B interleaved (not part of make test)'
	@echo '  make soak       10-minute soak under the workloads (DURATION=SEC to shorten)'
	@echo '  make review-demo  stock vs patched tun.ko in the 7.2 VM, recorded and diffed'
	@echo '  make review-series  stock, 1-7, 1-9 tun.ko on the built kernel: docs/review-series'
	@echo '  make review-kernel  build the VM kernel from linux-source-7.2, cached (about 1 h on 2 cores)'
	@echo '  make lint       cppcheck on cli/'
	@echo '  make clean      remove build products'
	@echo 'Options: V=1 for full commands.'

deps-build:
	./tests/deps.sh build

deps:
	./tests/deps.sh test

# the completion's word lists come from the source (dist/gen-completion.sh)
$(OUT)/skbtop.bash: dist/skbtop.bash.in dist/gen-completion.sh cli/main.c cli/options.c cli/chain.c | $(OUT)
	$(call msg,GEN,$@)
	$(Q)dist/gen-completion.sh > $@

# the unit names BINDIR, so it is made at each install
install: $(BIN) $(OUT)/skbtop.bash
	sed 's|@BINDIR@|$(BINDIR)|' dist/skbtop-export.service.in > $(OUT)/skbtop-export.service
	install -D -m 755 $(BIN) $(DESTDIR)$(BINDIR)/skbtop
	install -D -m 644 man/skbtop.8 $(DESTDIR)$(MANDIR)/man8/skbtop.8
	install -D -m 644 $(OUT)/skbtop.bash $(DESTDIR)$(COMPLETIONDIR)/skbtop
	install -D -m 644 $(OUT)/skbtop-export.service $(DESTDIR)$(UNITDIR)/skbtop-export.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/skbtop $(DESTDIR)$(MANDIR)/man8/skbtop.8 \
		$(DESTDIR)$(COMPLETIONDIR)/skbtop $(DESTDIR)$(UNITDIR)/skbtop-export.service

$(BIN): $(CLI_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT):
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: probes/%.bpf.c include/skbtop.h probes/common.bpf.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/%.o: cli/%.c | $(OUT) $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -MMD -MP -c $< -o $@

-include $(CLI_OBJS:.o=.d)

# ---- tests ----
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/unit/%,$(wildcard tests/unit/test_*.c))
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer

# units link every cli/ source but those that need the BPF skeletons or main()
UNIT_EXCLUDE := cli/main.c cli/probes.c cli/session.c cli/live.c cli/record.c cli/export.c \
	cli/tui.c
UNIT_SRCS := $(filter-out $(UNIT_EXCLUDE),$(CLI_SRCS))

# every header too: a changed struct must rebuild every unit binary
UNIT_HDRS := $(wildcard cli/*.h include/*.h tests/unit/*.h)
$(OUT)/unit/%: tests/unit/%.c $(UNIT_SRCS) $(UNIT_HDRS) | $(SKELS)
	$(Q)mkdir -p $(OUT)/unit
	$(call msg,UNIT,$@)
	$(Q)$(CC) -O1 -g $(SAN) $(WARN) $(CPPFLAGS) -Itests/unit $(filter %.c,$^) $(LDLIBS) -lcmocka -o $@

# the bench helpers link cli/ code: built here, so a change that breaks them
# fails the unit tier (tests/unit/test_bench.c runs them)
bench-helpers:
	$(Q)$(MAKE) --no-print-directory -s -C bench bin/refresh bin/record

test-unit: $(UNIT_TESTS) bench-helpers
	$(Q)./tests/run-unit.sh $(UNIT_TESTS) tests/unit/test_vm_int3.sh

gen:
	$(Q)$(MAKE) --no-print-directory -s -C tests/gen

test-live: $(BIN) gen
	$(Q)./tests/live/run.sh

test-vm: $(BIN) gen
	$(Q)./tests/vm/run-tests.sh

test-docs: $(BIN)
	$(Q)./tests/docs/check.sh

man: $(BIN)
	$(Q)sh man/gen-sections.sh

test-fuzz:
	$(Q)./tests/fuzz/run.sh 20

bench: $(BIN) gen
	$(Q)./bench/run.sh

soak: $(BIN) gen
	$(Q)./tests/reliability/soak.sh

review-demo: $(BIN) gen
	$(Q)./tests/review/run.sh

review-series: $(BIN) gen
	$(Q)./tests/review/series.sh

review-kernel:
	$(Q)./tests/vm/build-kernel -v

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/run-all.sh

demo: deps-build
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/demo.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem --include=tests/reliability/cppcheck-libbpf.h \
		-Iinclude -Icli cli/

clean:
	rm -rf $(OUT) skbtop
