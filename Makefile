# The README's commands. `make test` is what CI runs after .ci/run has
# installed and started what the tests need.
.PHONY: run test test-go test-web web build

run:
	go run ./cmd/intake serve

build:
	go build -o bin/intake ./cmd/intake

test: test-go test-web

# Go tests on SQLite, and on PostgreSQL when INTAKE_TEST_DATABASE_URL is set
# (scripts/postgres.sh start prints it; CI always sets it).
test-go:
	go vet ./...
	go test -count=1 -timeout 20m ./...

# The widget's TypeScript tests and the check that the committed bundle is
# what its sources build to.
test-web:
	cd web/widget && npm ci --no-audit --no-fund && npm test
