# Gantry — thin wrapper over meson/ninja. See README.md.
#   make run    install deps, build, run launchd --user with the examples loaded
#   make test   install deps, build (release + ASan/UBSan), run unit and end-to-end tests
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
ASAN_BUILD ?= build-asan
PYTEST = /usr/bin/python3 -m pytest

# Debian packages the build and the tests need.
DEPS = gcc libc6-dev pkg-config meson ninja-build libplist-dev libexpat1-dev libcmocka-dev iproute2 \
       libssl-dev libblocksruntime-dev python3 python3-pytest procps groff-base clang libclang-rt-14-dev tzdata netbase dbus-daemon dbus-bin systemd \
       debhelper dpkg-dev fakeroot lintian libpam0g-dev pamtester libpam-wrapper libglib2.0-bin libnotify-bin
# Extra packages for `make bench` (the peers we measure against).
BENCH_DEPS = runit s6 libsystemd-dev tini pamtester libpam-wrapper

SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Installs the Debian packages of the list $(1) that are missing.
define install_missing
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: all deps bench-deps build build-asan test unit e2e fuzz run install uninstall deb bench clean

all: build

deps:
	$(call install_missing,$(DEPS))

bench-deps: deps
	$(call install_missing,$(BENCH_DEPS))

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

unit: build build-asan
	meson test -C $(BUILD) --print-errorlogs
	meson test -C $(ASAN_BUILD) --print-errorlogs

e2e: build build-asan
	GANTRY_BUILD=$(CURDIR)/$(BUILD) $(PYTEST) -q tests/e2e
	GANTRY_BUILD=$(CURDIR)/$(ASAN_BUILD) $(PYTEST) -q tests/e2e

# libFuzzer targets (fuzz/), a bounded run in `make test`; `make fuzz FUZZ_SECONDS=600` for longer.
fuzz: deps
	sh fuzz/run.sh

test: unit fuzz e2e

run: build
	@sh examples/run-demo.sh $(CURDIR)/$(BUILD)

install: build
	meson configure $(BUILD) --prefix=$(PREFIX)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD)
	@# the system's library cache learns the libraries (a private prefix needs none: $$ORIGIN, pkg-config's rpath)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# Removes exactly what the last `make install` put there (meson's install log), directories it created
# included unless something else lives in them now (a job file an administrator added stays).
uninstall:
	DESTDIR=$(DESTDIR) ninja -C $(BUILD) uninstall
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# Debian packages (debian/) into build-deb/, built from a copy of the tree, then checked by lintian.
deb: deps
	rm -rf build-deb && mkdir -p build-deb/src
	tar -C . --exclude=./.git --exclude='./build*' -cf - . | tar -C build-deb/src -xf -
	cd build-deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build-deb/*.changes

bench: bench-deps build
	@# a build tree configured before libsystemd-dev was installed lacks bench/xpc_bench
	[ -x $(BUILD)/bench/xpc_bench ] || (meson setup --reconfigure $(BUILD) && ninja -C $(BUILD))
	/usr/bin/python3 bench/run.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/scale.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/xpc.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/sm.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/sessions.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/triggers.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/hostile.py --build $(CURDIR)/$(BUILD)
	/usr/bin/python3 bench/init.py --build $(CURDIR)/$(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-deb
