package delivery

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/s3"
)

// An S3 delivery is one attempt for the whole import; a missing bucket is
// retried on the schedule and succeeds once the bucket exists.
func TestS3DeliveryRetriesUntilTheBucketExists(t *testing.T) {
	t.Parallel()
	w, st, _ := setup(t, 1234)
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	st.d.Destination.Kind = S3
	st.d.Destination.S3 = s3.Config{Bucket: "late", Endpoint: srv.URL, AccessKeyID: "k", SecretAccessKey: "s", Format: s3.JSONL}

	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || step.Done || step.Wait != time.Second {
		t.Fatalf("first run %+v %v; want a retry after the schedule's 1 s", step, err)
	}
	if a := st.attempts[0]; a.Outcome != destination.Retry || a.Batch != -1 || a.Error == "" {
		t.Fatalf("attempt %+v", a)
	}
	if err := backend.CreateBucket("late"); err != nil {
		t.Fatal(err)
	}
	step, err = w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done || st.progress().State != Delivered {
		t.Fatalf("second run %+v %v progress %+v", step, err, st.progress())
	}
	obj, err := backend.HeadObject("late", "pub1/imp1.jsonl")
	if err != nil || obj.Size < 1234*10 {
		t.Fatalf("object %+v, %v", obj, err)
	}
}
