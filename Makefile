# Headroom. `make install` puts the extension into your GNOME session; `make test` runs every test.

UUID      := headroom@headroom.github.io
ZIP       := dist/$(UUID).shell-extension.zip
NPM_STAMP := node_modules/.package-lock.json
SOURCES   := $(shell find src -name '*.ts') build.mjs metadata.json stylesheet.css $(wildcard schemas/*.xml icons/*)
PACKED    := extension.js prefs.js metadata.json stylesheet.css schemas icons

.PHONY: all build check lint test test-unit test-gjs test-e2e pack install clean

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

pack: $(ZIP)

$(ZIP): dist/extension.js
	rm -f $@
	cd dist && zip -qr $(UUID).shell-extension.zip $(PACKED)

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

test: check lint test-unit test-gjs test-e2e

test-unit: $(NPM_STAMP)
	npx mocha

test-gjs: build
	npx mocha --config test/adapters/.mocharc.json

test-e2e: pack
	bash test/e2e/run.sh

clean:
	rm -rf dist
