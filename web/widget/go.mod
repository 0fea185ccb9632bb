// Not Go code: this file only keeps web/widget (and the Go files some npm
// packages ship under node_modules) out of the intake module's ./... in
// go build, go vet, go test and golangci-lint.
module github.com/intakehq/intake/web/widget

go 1.26
