# The README's commands.
.PHONY: run test build

# Run Intake with embedded defaults (./intake-data, http://127.0.0.1:8080).
run:
	go run ./cmd/intake serve

# A release binary: no file system paths or debug symbols in it
# (51.6 MB; a plain go build is 72.8 MB). See docs/deploy.md for what each
# KMS provider costs.
build:
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/intake ./cmd/intake

# Every test: Go on SQLite and PostgreSQL+S3, the widget's TypeScript tests.
test:
	scripts/test.sh
