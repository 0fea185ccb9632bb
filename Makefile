# The README's commands.
.PHONY: run test build

# Run Intake with embedded defaults (./intake-data, http://127.0.0.1:8080).
run:
	go run ./cmd/intake serve

build:
	go build -o bin/intake ./cmd/intake

# Every test: Go on SQLite and PostgreSQL+S3, the widget's TypeScript tests.
test:
	scripts/test.sh
