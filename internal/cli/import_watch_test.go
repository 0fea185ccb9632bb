package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/intakehq/intake/internal/fileimport/sftptest"
)

// watched is a place `intake serve` watches, as the test sees it.
type watched struct {
	// put drops a file named in/NAME; count counts the files in in/ or done/.
	put   func(name string, body []byte)
	count func(folder string) int
	// watch is the PUT watch body.
	watch string
}

func watchedS3(t *testing.T) watched {
	backend := s3mem.New()
	if err := backend.CreateBucket("drop"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	s3c := awss3.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("watch", "watch-secret", "")}, func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(s3srv.URL), true
	})
	ctx := context.Background()
	return watched{
		put: func(name string, body []byte) {
			if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("drop"), Key: aws.String("in/" + name),
				Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		},
		count: func(folder string) int {
			out, err := s3c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("drop"), Prefix: aws.String(folder + "/")})
			if err != nil {
				t.Fatal(err)
			}
			return len(out.Contents)
		},
		watch: fmt.Sprintf(`{"bucket":"drop","prefix":"in/","endpoint":%q,"after":"move","done_prefix":"done/","access_key_id":"watch","secret_access_key":"watch-secret"}`, s3srv.URL),
	}
}

func watchedSFTP(t *testing.T) watched {
	srv := sftptest.Start(t)
	settled := time.Now().Add(-time.Hour) // a file modified just now waits
	return watched{
		put:   func(name string, body []byte) { srv.Drop(t, "in/"+name, body, settled) },
		count: func(folder string) int { return srv.Count(t, folder) },
		watch: fmt.Sprintf(`{"endpoint":%q,"prefix":"in","done_prefix":"done","host_key":%q,"password":%q}`,
			srv.Endpoint(), srv.AuthorizedKey(), sftptest.Password),
	}
}

// TestSIGKILLWatchedPrefix (issue 16): `intake serve` watching an S3 prefix
// or an SFTP folder is killed with SIGKILL while it imports the files, and
// started again on the same data folder: every file ends up imported
// exactly once (one completed import each, with all its rows) and moved
// out of the watched place once.
func TestSIGKILLWatchedPrefix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		place func(*testing.T) watched
	}{{"s3", watchedS3}, {"sftp", watchedSFTP}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testSIGKILLWatched(t, c.place(t))
		})
	}
}

func testSIGKILLWatched(t *testing.T, place watched) {
	const objects, rows = 8, 20_000
	for i := range objects {
		var b strings.Builder
		b.WriteString("id,email\n")
		for r := range rows {
			fmt.Fprintf(&b, "%d-%d,u%d@example.com\n", i, r, r)
		}
		place.put(fmt.Sprintf("%d.csv", i), []byte(b.String()))
	}
	count := place.count
	dir := t.TempDir()
	code, out, errOut := runIn(t, "correct horse battery\n", "admin", "init", "--org", "acme", "--email", "o@acme.test", "--password-stdin", "--data-dir", dir)
	var admin struct {
		APIKey string `json:"api_key"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &admin) != nil {
		t.Fatalf("admin init: %d %s %s", code, out, errOut)
	}
	env := []string{"INTAKE_WATCH_INTERVAL=1s", "INTAKE_DELIVERY_TIMEOUT=3s", "INTAKE_OUTBOUND_ALLOW=127.0.0.0/8"}
	first := startServe(t, dir, env...)
	var im struct{ ID string }
	if code := call(t, "POST", first.base+"/api/v1/importers", admin.APIKey, strings.NewReader(`{"name":"drop","template":{"columns":[
		{"key":"id","label":"ID","type":"text","required":true,"unique":true},{"key":"email","label":"Email","type":"email"}]}}`), &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	if code := call(t, "PUT", first.base+"/api/v1/importers/"+im.ID+"/watch", admin.APIKey, strings.NewReader(place.watch), nil); code != http.StatusOK {
		t.Fatalf("put watch: %d", code)
	}
	type listed struct {
		Imports []struct {
			Status string
			Rows   int64
		}
	}
	// Killed once the first import has rows stored and before the last is done.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var l listed
		call(t, "GET", first.base+"/api/v1/imports?importer="+im.ID, admin.APIKey, nil, &l)
		stored := false
		for _, i := range l.Imports {
			stored = stored || i.Rows > 0
		}
		if stored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing imported in 60 s:\n%s", first.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	movedBefore := count("done")
	if movedBefore == objects {
		t.Fatalf("every object was imported before the kill: the test proves nothing; use larger objects")
	}

	second := startServe(t, dir, env...)
	deadline = time.Now().Add(120 * time.Second)
	for count("done") < objects || count("in") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d objects moved after the restart:\n%s", count("done"), objects, second.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var l listed
	call(t, "GET", second.base+"/api/v1/imports?importer="+im.ID+"&status=completed", admin.APIKey, nil, &l)
	if len(l.Imports) != objects {
		t.Errorf("%d completed imports for %d objects (%d moved before the kill)", len(l.Imports), objects, movedBefore)
	}
	for _, i := range l.Imports {
		if i.Rows != rows {
			t.Errorf("a completed import holds %d rows, not %d", i.Rows, rows)
		}
	}
	if count("done") != objects {
		t.Errorf("%d objects under done/", count("done"))
	}
	var all listed
	call(t, "GET", second.base+"/api/v1/imports?importer="+im.ID, admin.APIKey, nil, &all)
	// An import opened by an object job the kill interrupted before it
	// recorded its file import stays uploading, empty, until retention
	// purges it as abandoned; the object's job ran again and imported it.
	t.Logf("%d of %d objects done before the SIGKILL; %d imports in all", movedBefore, objects, len(all.Imports))
	second.stop(t)
}
