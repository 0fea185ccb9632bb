package servertest

import (
	"bytes"
	"io"
	"testing"

	"github.com/johannesboyne/gofakes3"
)

// findInS3 reads every object of the fake S3 server's "intake" bucket.
func (e *Env) findInS3(t testing.TB, needles [][]byte) []string {
	t.Helper()
	list, err := e.S3.ListBucket("intake", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("list fake S3: %v", err)
	}
	var hits []string
	for _, obj := range list.Contents {
		o, err := e.S3.GetObject("intake", obj.Key, nil)
		if err != nil {
			t.Fatalf("read fake S3 %s: %v", obj.Key, err)
		}
		b, err := io.ReadAll(o.Contents)
		o.Contents.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				hits = append(hits, "s3://intake/"+obj.Key)
				break
			}
		}
	}
	return hits
}
