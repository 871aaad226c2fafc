# Headroom. `make install` puts the extension into your GNOME session; `make test` runs every test.

UUID      := headroom@headroom.github.io
ZIP       := dist/$(UUID).shell-extension.zip
NPM_STAMP := node_modules/.package-lock.json
SOURCES   := $(shell find src -name '*.ts') build.mjs metadata.json stylesheet.css $(wildcard schemas/*.xml icons/*)
PACKED    := extension.js prefs.js metadata.json stylesheet.css schemas icons

.PHONY: all build check lint test test-unit test-gjs test-e2e test-package pack pot install clean

all: build

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: dist/extension.js

dist/extension.js: $(NPM_STAMP) $(SOURCES)
	node build.mjs

check: $(NPM_STAMP)
	npx tsc --noEmit -p .
	npx tsc --noEmit -p test
	npx tsc --noEmit -p test/gjs
	npx tsc --noEmit -p test/e2e
	glib-compile-schemas --strict --dry-run schemas

lint: $(NPM_STAMP)
	npx eslint .

# Translations: po/LINGUAS names the languages; each po/<lang>.po is compiled into the zip as
# locale/<lang>/LC_MESSAGES/headroom.mo, the layout `gnome-extensions pack --podir` makes. No .po in the zip.
LINGUAS   := $(shell sed 's/\#.*//' po/LINGUAS 2>/dev/null)

pot: $(NPM_STAMP)
	@command -v xgettext >/dev/null || { echo "xgettext not found: apt-get install gettext"; exit 1; }
	node tools/pot.mjs po/headroom.pot

pack: $(ZIP)

$(ZIP): dist/extension.js po/LINGUAS $(LINGUAS:%=po/%.po)
	rm -rf $@ dist/locale
	@[ -z "$(LINGUAS)" ] || command -v msgfmt >/dev/null || { echo "msgfmt not found: apt-get install gettext"; exit 1; }
	for lang in $(LINGUAS); do \
	    mkdir -p dist/locale/$$lang/LC_MESSAGES && \
	    msgfmt --check -o dist/locale/$$lang/LC_MESSAGES/headroom.mo po/$$lang.po || exit 1; \
	done
	cd dist && zip -qrX $(UUID).shell-extension.zip $(PACKED) $(if $(LINGUAS),locale)

install: $(ZIP)
	@command -v gnome-extensions >/dev/null || { echo "gnome-extensions not found: install GNOME Shell first"; exit 1; }
	gnome-extensions install --force $(ZIP)
	@if gdbus call --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
	        --method org.gnome.Shell.Extensions.EnableExtension $(UUID) >/dev/null 2>&1; then \
	    echo "Headroom is installed and enabled."; \
	else \
	    echo "Headroom is installed. Log out and back in (GNOME on Wayland loads new extensions at login),"; \
	    echo "then run: gnome-extensions enable $(UUID)"; \
	fi

test: check lint test-unit test-gjs test-package test-e2e test-bench-smoke

# Benchmarks (bench/README.md): `make bench` prints the table and writes bench/results.md (about 3 min;
# the GNOME Shell one needs root, like test-e2e). test-bench-smoke runs each at tiny sizes, untimed.
.PHONY: bench test-bench-smoke
#
# As root, the e2e rootfs the benchmarks run in (about 2 min to build on a fresh machine) is built or restored
# in the background while npm ci and the build run; bench/run.ts then finds it ready, or waits for it
# (rootfs.sh holds a lock while it works). Its log: bench/out/rootfs.log.
HEADROOM_BENCH_E2E_WORK ?= /var/tmp/headroom-bench
bench:
	@mkdir -p bench/out
	@if [ "$$(id -u)" = 0 ]; then \
	    HEADROOM_E2E_WORK=$(HEADROOM_BENCH_E2E_WORK) bash test/e2e/rootfs.sh >/dev/null 2>bench/out/rootfs.log & \
	fi; \
	$(MAKE) --no-print-directory pack && HEADROOM_BENCH_E2E_WORK=$(HEADROOM_BENCH_E2E_WORK) npx tsx bench/run.ts

test-bench-smoke: pack
	npx tsx bench/run.ts --smoke

test-unit: $(NPM_STAMP)
	npx mocha

test-gjs: build
	npx mocha --config test/adapters/.mocharc.json

test-package: pack
	npx tsc --noEmit -p test/package
	npx mocha --config test/package/.mocharc.json

test-e2e: pack
	bash test/e2e/run.sh

# A throwaway headless GNOME Shell (the e2e rootfs) with the packed extension replaying the seed
# incident; screenshots of the bar in each state, the menu and both notifications land in DEMO_DIR
# (default demo/, git-ignored), which it prints. Needs root, like test-e2e.
DEMO_DIR ?= demo
.PHONY: demo
demo: pack
	bash test/e2e/rootfs.sh >/dev/null
	npx tsx test/e2e/demo.ts $(DEMO_DIR)

# Headroom's oomd code against a real systemd-oomd 257 in a Debian trixie VM (qemu, TCG without
# /dev/kvm; about 10 min, the first build 5 more). Not part of `make test`. Needs root and
# qemu-system-x86, debootstrap, zstd, e2fsprogs. Results in $(OOMD_VM_WORK)/results (test/vm/README.md).
OOMD_VM_WORK ?= /var/tmp/headroom-oomd-vm
.PHONY: verify-oomd
verify-oomd: build
	HEADROOM_VM_WORK=$(OOMD_VM_WORK) bash test/vm/oomd-vm.sh all

clean:
	rm -rf dist
