package fileimport_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// fakeS3 is an in-process S3-compatible server on loopback with one bucket.
// gofakes3 (v1.2.0) has no object tagging: it takes PUT ?tagging for a new
// object whose body is the tagging document, which changes the object and
// its ETag. The tagging calls are answered here instead, as S3 does:
// tags beside the object, which stays as it is.
func fakeS3(t *testing.T) (url string, client *awss3.Client) {
	t.Helper()
	return fakeS3Gated(t, nil)
}

// fakeS3Gated is fakeS3 answering 403 AccessDenied, as S3 does to a key
// the credentials may not read, to each request deny reports (nil: none).
func fakeS3Gated(t *testing.T, deny func(*http.Request) bool) (url string, client *awss3.Client) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("drop"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend).Server()
	var mu sync.Mutex
	tags := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if deny != nil && deny(r) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		if _, ok := r.URL.Query()["tagging"]; !ok {
			fake.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			body, _ := io.ReadAll(r.Body)
			tags[r.URL.Path] = body
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/xml")
			w.Write(tags[r.URL.Path])
		}
	}))
	t.Cleanup(srv.Close)
	client = awss3.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("watch", "watch-secret", "")}, func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true
	})
	return srv.URL, client
}

func putObject(t *testing.T, c *awss3.Client, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("drop"), Key: aws.String(key),
		Body: bytes.NewReader([]byte(body))}); err != nil {
		t.Fatal(err)
	}
}

// TestWatchTagsEachObjectOnce: a watched prefix whose objects are polled by
// the periodic job and, at the same time, by two more watchers (as other
// replicas would) imports each object once and tags it with its import.
func TestWatchTagsEachObjectOnce(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			testWatchTagsEachObjectOnce(t, pg)
		})
	}
}

func testWatchTagsEachObjectOnce(t *testing.T, pg bool) {
	s3url, s3c := fakeS3(t)
	env := servertest.Start(t, servertest.Options{Postgres: pg, Configure: func(c *config.Config) {
		servertest.AllowLoopback(c)
		c.WatchInterval = time.Second
	}})
	im := newImporter(t, env, nil)
	const objects = 5
	for i := range objects {
		putObject(t, s3c, fmt.Sprintf("in/batch-%d.csv", i), csvRows(1000+i, nil))
	}
	putObject(t, s3c, "elsewhere/x.csv", csvRows(10, nil))
	if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, map[string]any{"bucket": "drop", "prefix": "in/",
		"endpoint": s3url, "after": "tag", "access_key_id": "watch", "secret_access_key": "watch-secret"}, nil); code != http.StatusOK {
		t.Fatalf("put watch: %d", code)
	}
	var got map[string]any
	env.Do(t, "GET", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, nil, &got)
	if _, leaked := got["secret_access_key"]; leaked || got["bucket"] != "drop" {
		t.Fatalf("get watch: %v", got)
	}
	pollTwiceAtOnce(t, env)

	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		claims, err := env.Server.Store.WatchClaims(ctx, env.OrgID, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range claims {
			if c.State == store.ClaimDone {
				done++
			}
		}
		if done == objects {
			if len(claims) != objects {
				t.Fatalf("%d claims for %d objects: %+v", len(claims), objects, claims)
			}
			for _, c := range claims {
				st := wait(t, env, c.ImportID)
				tags, err := s3c.GetObjectTagging(ctx, &awss3.GetObjectTaggingInput{Bucket: aws.String("drop"), Key: aws.String(c.Key)})
				if err != nil {
					t.Fatal(err)
				}
				if st.File.State != "completed" || len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[0].Value) != c.ImportID {
					t.Errorf("object %s: %+v, tags %+v", c.Key, *st.File, tags.TagSet)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d objects done: %+v", done, objects, claims)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A poll after the objects were tagged finds nothing new.
	if err := fileimport.NewWatcher(env.Server.Files, loopbackOnly.DialContext).Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if claims, _ := env.Server.Store.WatchClaims(ctx, env.OrgID, im.ID); len(claims) != objects {
		t.Errorf("a poll after tagging claimed again: %d claims", len(claims))
	}
	var list struct{ Imports []fileState }
	env.Do(t, "GET", "/api/v1/imports?importer="+im.ID, env.APIKey, nil, &list)
	if len(list.Imports) != objects {
		t.Errorf("%d imports for %d objects", len(list.Imports), objects)
	}
}

// loopbackOnly is the outbound policy of the watch tests: their S3 and SFTP
// servers listen on loopback.
var loopbackOnly = outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})

// pollTwiceAtOnce runs two watchers' polls at the same time, as two
// replicas would, with the jobs running, and returns when both are done.
func pollTwiceAtOnce(t *testing.T, env *servertest.Env) {
	t.Helper()
	var wg sync.WaitGroup
	for range 2 {
		w := fileimport.NewWatcher(env.Server.Files, loopbackOnly.DialContext)
		wg.Go(func() {
			if err := w.Poll(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	env.StartJobs(t)
	wg.Wait()
}
