# polyref — PGXS build of the C++ core, plus the project's own targets.
#
#   make            build polyref.so
#   make install    install the extension into the server PG_CONFIG names
#   make demo       install what is missing, build, install, run the demo
#   make test       install what is missing, build, install, run every test
#   make bench      benchmark against native foreign keys (not part of test)
#   make test-majors  make test on 15, 17, 18 and 19, each in a Debian chroot
#                   (MAJORS="17 18" for some of them)

EXTENSION   = polyref
MODULE_big  = polyref
DATA        = $(wildcard sql/polyref--*.sql)
OBJS        = $(patsubst %.cpp,%.o,$(wildcard src/*.cpp))
PGFILEDESC  = "polyref - foreign keys for polymorphic associations"

# The test suites, as PGXS runs them with `make installcheck` against a running
# server (after `make install`), and as test/run.sh (make test) runs them on a
# throwaway cluster: it asks `make print-tests` for these same lists.
#   pg_regress          test/sql/<name>.sql -> test/expected/<name>.out
#   pg_isolation_regress test/specs/<name>.spec -> test/expected/<name>.out
#   prove               test/t/*.pl, each builds its own clusters
# $(sort) is byte order, the order test/run.sh has always run them in.
REGRESS         = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS    = --inputdir=test
ISOLATION       = $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS  = --inputdir=test
TAP_TESTS       = 1
PROVE_TESTS     = $(sort $(wildcard test/t/*.pl))

# PostgreSQL 15 as Debian 12 packages it, unless told otherwise: PG_MAJOR=17
# picks Debian's /usr/lib/postgresql/17, PG_CONFIG any other installation.
PG_MAJOR   ?= 15
PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config) pg_config)
export PG_MAJOR PG_CONFIG
PGXS       := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# The C++ core.  -isystem keeps PostgreSQL's own headers out of -Wall -Wextra,
# so the warnings speak only of our code; make test builds with -Werror.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-register $(if $(POLYREF_WERROR),-Werror)
SHLIB_LINK  = -lstdc++

# Debian's PGXS also emits LLVM bitcode for JIT inlining, which needs clang.
# polyref's functions are trigger and SPI entry points that the JIT never
# inlines into expressions, so bitcode would buy nothing: we do not build it,
# and the build needs no clang.
override with_llvm = no

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
$(OBJS): $(wildcard src/*.hpp)
# The TAP tests share test/t/PolyrefTAP.pm (PROVE_FLAGS is left to the user).
PG_PROVE_FLAGS += -I test/t
else
all install:
	@echo "PostgreSQL $(PG_MAJOR) server headers are missing: run 'make deps' (or make demo / make test)." >&2; exit 1
endif

# ---------------------------------------------------------------------------
# Project targets.  Each installs what it needs, then re-enters make so that
# the PGXS rules above exist even on a machine that had no PostgreSQL.
.PHONY: deps demo test bench test-majors print-tests

# One line per suite, "suite: name name ...", for test/run.sh.
print-tests:
	@echo 'regress: $(REGRESS)'
	@echo 'isolation: $(ISOLATION)'
	@echo 'tap: $(notdir $(PROVE_TESTS))'

deps:
	@test/deps.sh

demo: deps
	$(MAKE) POLYREF_WERROR=1 all
	$(MAKE) install
	@test/demo/run.sh

test: deps
	$(MAKE) POLYREF_WERROR=1 all
	$(MAKE) install
	@test/run.sh

bench: deps
	$(MAKE) all
	$(MAKE) install
	@test/bench/run.sh

# Every major in its own Debian chroot (test/majors/chroot.sh makes or reuses
# them under /var/cache/polyref/chroots); needs root.
MAJORS ?= 15 17 18 19
test-majors:
	@test/majors/run.sh $(MAJORS)
