// Command gen writes internal/phone/table.json, the phone fast path's table,
// from the metadata of the github.com/nyaruka/phonenumbers version go.mod
// pins (docs/phone.md). Run it with `go generate ./internal/phone`.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/intakehq/intake/internal/phone/phonetable"
)

func main() {
	out := flag.String("o", "table.json", "file to write")
	flag.Parse()
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == phonetable.Module {
				version = d.Version
			}
		}
	}
	if version == "" {
		fmt.Fprintln(os.Stderr, "phone table: no version of", phonetable.Module, "in the build info")
		os.Exit(1)
	}
	data, err := phonetable.Build(version)
	if err == nil {
		err = os.WriteFile(*out, data, 0o644) //nolint:gosec // a committed source file, readable like the rest of the tree
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "phone table:", err)
		os.Exit(1)
	}
}
