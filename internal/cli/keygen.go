package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"filippo.io/age"
)

// runKeygen: intake keygen --out key.txt. It makes an age X25519 identity
// for an end-to-end encrypted importer, writes it to a new file readable by
// its owner only (the format age-keygen writes, so age -d -i opens it) and
// prints the public key, the importer's recipient, on stdout. It never
// overwrites a file: a lost identity is data lost for good.
func runKeygen(_ context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake keygen", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	out := fs.String("out", "", "the identity file to create (required; mode 0600)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		errorf(s, "keygen: usage: intake keygen --out key.txt")
		return exitInvalid
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		errorf(s, "keygen: %v", err)
		return exitFailure
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		errorf(s, "keygen: %s exists; choose another file (an identity is never overwritten)", *out)
		return exitInvalid
	}
	if err != nil {
		errorf(s, "keygen: %v", err)
		return exitFailure
	}
	_, err = fmt.Fprintf(f, "# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		errorf(s, "keygen: write %s: %v", *out, err)
		return exitFailure
	}
	fmt.Fprintln(s.Out, id.Recipient())
	return exitOK
}
