# The suite's build.  GNU make; every top-level .c file is one program and
# lib/*.c builds into lib/libq.a, which every program links.  Settings
# come from the conf-* files (first line of each).

SHELL = /bin/sh
CC_CMD := $(shell sed -n 1p conf-cc)
LD_CMD := $(shell sed -n 1p conf-ld)
STATIC := $(shell sed -n 1p conf-static)
# conf-musl: these programs are built with musl-gcc when it is installed
MUSL := $(shell command -v musl-gcc > /dev/null 2>&1 && sed -n 1p conf-musl)
MUSL_CC := musl-gcc $(wordlist 2,999,$(CC_CMD))
MUSL_LD := musl-gcc $(wordlist 2,999,$(LD_CMD)) -static
PROGS := $(sort $(patsubst %.c,%,$(wildcard *.c)))
LIBSRC := $(sort $(wildcard lib/*.c) lib/auto.c)
LIBOBJ := $(LIBSRC:.c=.o)
LIBMOBJ := $(LIBSRC:.c=.mo)
HDRS := $(wildcard lib/*.h)

all: lib/libq.a $(PROGS)

lib/auto.c: conf-qmail conf-users conf-groups conf-split conf-spawn conf-ids tools/auto.sh
	sh tools/auto.sh > lib/auto.c.tmp
	mv lib/auto.c.tmp lib/auto.c

lib/libq.a: $(LIBOBJ)
	rm -f $@
	ar cr $@ $(LIBOBJ)
	ranlib $@

lib/libq-musl.a: $(LIBMOBJ)
	rm -f $@
	ar cr $@ $(LIBMOBJ)
	ranlib $@

%.o: %.c $(HDRS)
	$(CC_CMD) -c -o $@ $<

%.mo: %.c $(HDRS)
	$(MUSL_CC) -c -o $@ $<

# The programs outside the libc-only core, each with the library it links
# (DESIGN.md: what needs a library runs in its own small process).  The
# test build_core_libc reads these lines: every other program links libc
# only.
EXTLIBS_qmail-tlsd := -lssl -lcrypto
EXTLIBS_qmail-tlsc := -lssl -lcrypto
EXTLIBS_qmail-mtasts := -lssl -lcrypto
EXTLIBS_qmail-checkpw := -lcrypt
EXTLIBS_qmail-passwd := -lcrypt
EXTLIBS_qmail-authverify := -lopendkim -lspf2 -lopendmarc
EXTLIBS_qmail-dksigner := -lopendkim
EXTLIBS_qmail-dkimkey := -lcrypto

$(filter-out $(MUSL),$(PROGS)): %: %.o lib/libq.a conf-static conf-musl
	$(LD_CMD) $(if $(filter $@,$(STATIC)),-static) -o $@ $< lib/libq.a $(EXTLIBS_$@)
ifneq ($(strip $(MUSL)),)
$(filter $(MUSL),$(PROGS)): %: %.mo lib/libq-musl.a conf-musl
	$(MUSL_LD) -o $@ $< lib/libq-musl.a
endif

setup: all
	sh tools/install.sh setup

check:
	sh tools/install.sh check

users:
	@[ "$$(id -u)" = 0 ] || { echo "make users: run as root" >&2; exit 1; }
	sh tools/mkusers.sh

local:
	sh tools/local-instance.sh start

local-stop:
	sh tools/local-instance.sh stop

deps:
	sh tools/deps.sh

test:
	sh tests/run

clean:
	rm -f $(PROGS) *.o *.mo lib/*.o lib/*.mo lib/libq.a lib/libq-musl.a \
	    lib/auto.c lib/auto.c.tmp
	rm -rf tests/bin

.PHONY: all setup check users deps test local local-stop clean
