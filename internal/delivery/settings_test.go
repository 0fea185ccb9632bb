package delivery

import (
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/store"
)

func ptr[T any](v T) *T { return &v }

// TestSettings applies inputs to new destinations of each type and checks
// what is accepted, what is refused (naming the setting, never the value),
// and what the API view shows.
func TestSettings(t *testing.T) {
	t.Parallel()
	s := New(Options{Policy: outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}), Logger: slog.New(slog.DiscardHandler)})
	const secretValue = "sup3r-s3cret-value"
	cases := []struct {
		name, kind string
		in         Input
		refused    string // a word of the message, "" when accepted
	}{
		{"webhook", store.KindWebhook, Input{URL: ptr("https://app.example.com/hook"), Headers: &map[string]string{"Authorization": secretValue}}, ""},
		{"webhook on loopback allowed", store.KindWebhook, Input{URL: ptr("http://127.0.0.1:9000/")}, ""},
		{"webhook no url", store.KindWebhook, Input{}, "url"},
		{"webhook scheme", store.KindWebhook, Input{URL: ptr("file:///etc/passwd")}, "url"},
		{"webhook credentials", store.KindWebhook, Input{URL: ptr("https://u:" + secretValue + "@example.com/")}, "credentials"},
		{"webhook metadata address", store.KindWebhook, Input{URL: ptr("http://169.254.169.254/")}, "outbound guard"},
		{"webhook private address in decimal", store.KindWebhook, Input{URL: ptr("http://167772161/")}, "outbound guard"},
		{"webhook reserved header", store.KindWebhook, Input{URL: ptr("https://example.com/"), Headers: &map[string]string{"Webhook-Id": "x"}}, "headers"},
		{"webhook header newline", store.KindWebhook, Input{URL: ptr("https://example.com/"), Headers: &map[string]string{"X-A": "a\r\nb"}}, "headers"},
		{"batch size", store.KindWebhook, Input{URL: ptr("https://example.com/"), BatchSize: ptr(0)}, "batch_size"},
		{"parallel", store.KindWebhook, Input{URL: ptr("https://example.com/"), Parallel: ptr(17)}, "parallel"},
		{"schedule syntax", store.KindWebhook, Input{URL: ptr("https://example.com/"), Schedule: ptr("soon")}, "schedule"},
		{"schedule too long a wait", store.KindWebhook, Input{URL: ptr("https://example.com/"), Schedule: ptr("48h")}, "schedule"},
		{"foreign setting", store.KindWebhook, Input{URL: ptr("https://example.com/"), Bucket: ptr("b")}, "bucket"},
		{"s3", store.KindS3, Input{Bucket: ptr("exports"), Format: ptr("parquet"), AccessKeyID: ptr("AKIA"), SecretAccessKey: ptr(secretValue)}, ""},
		{"s3 format", store.KindS3, Input{Bucket: ptr("exports"), Format: ptr("xlsx")}, "format"},
		{"s3 half credentials", store.KindS3, Input{Bucket: ptr("exports"), SecretAccessKey: ptr(secretValue)}, "access_key_id"},
		{"s3 placeholder", store.KindS3, Input{Bucket: ptr("exports"), KeyTemplate: ptr("{user}/x")}, "key_template"},
		{"s3 endpoint scheme", store.KindS3, Input{Bucket: ptr("exports"), Endpoint: ptr("ftp://minio")}, "endpoint"},
		{"s3 parallel", store.KindS3, Input{Bucket: ptr("exports"), Parallel: ptr(2)}, "parallel"},
		{"postgres", store.KindPostgres, Input{URL: ptr("postgres://app:" + secretValue + "@db.example.com/app"), Table: ptr("customers"), Key: &[]string{"email"}}, ""},
		{"postgres url", store.KindPostgres, Input{URL: ptr("mysql://db/app"), Table: ptr("t")}, "url"},
		{"postgres table", store.KindPostgres, Input{URL: ptr("postgres://db/app"), Table: ptr(`t"; DROP`)}, "table"},
		{"postgres column", store.KindPostgres, Input{URL: ptr("postgres://db/app"), Table: ptr("t"), Columns: &map[string]string{"email": "e mail"}}, "columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := store.Destination{ID: "dst_x", Kind: c.kind, BatchSize: 1000, Parallel: 1}
			var st settings
			secret, err := c.in.apply(&d, &st, time.Now())
			if err == nil {
				err = s.check(d, st)
			}
			var ie *InvalidError
			switch {
			case c.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refused != "" && (!errors.As(err, &ie) || !strings.Contains(ie.Message, c.refused)):
				t.Fatalf("got %v, want a refusal naming %q", err, c.refused)
			case err != nil && strings.Contains(err.Error(), secretValue):
				t.Fatal("the refusal quotes a secret")
			case err != nil:
				return
			}
			if (c.kind == store.KindWebhook) != strings.HasPrefix(secret, "whsec_") {
				t.Fatalf("secret %q for a %s destination", secret, c.kind)
			}
			v := view(d, st)
			if v.Secret != "" {
				t.Fatal("the view holds the secret; only the creating answer may")
			}
			for _, shown := range append([]string{v.URL, v.Endpoint}, v.HeaderNames...) {
				if strings.Contains(shown, secretValue) {
					t.Fatalf("the view shows a secret in %q", shown)
				}
			}
		})
	}
}

// TestRotation adds a second secret, signs with both, then drops the old
// one; a third is refused while two are in use.
func TestRotation(t *testing.T) {
	t.Parallel()
	s := New(Options{Policy: outbound.NewPolicy(nil), Logger: slog.New(slog.DiscardHandler)})
	d := store.Destination{ID: "dst_x", Kind: store.KindWebhook, BatchSize: 1000, Parallel: 1}
	var st settings
	first, err := Input{URL: ptr("https://example.com/")}.apply(&d, &st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := Input{RotateSecret: true}.apply(&d, &st, time.Now())
	if err != nil || !slices.Equal(st.Webhook.Secrets, []string{second, first}) {
		t.Fatalf("after rotation %v, %v", len(st.Webhook.Secrets), err)
	}
	if _, err := (Input{RotateSecret: true}).apply(&d, &st, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.check(d, st); err == nil {
		t.Fatal("three secrets accepted")
	}
	st.Webhook.Secrets = st.Webhook.Secrets[1:]
	if _, err := (Input{DropOldSecret: true}).apply(&d, &st, time.Now()); err != nil || !slices.Equal(st.Webhook.Secrets, []string{second}) {
		t.Fatalf("after dropping: %d secrets, %v", len(st.Webhook.Secrets), err)
	}
}

// TestBypassDeliveryID is stable for an import and destination (relayed
// batches and the final event share it) and distinct across pairs.
func TestBypassDeliveryID(t *testing.T) {
	t.Parallel()
	a := bypassDeliveryID("imt_a", "dst_b")
	if a != bypassDeliveryID("imt_a", "dst_b") || a == bypassDeliveryID("imt_a", "dst_c") || a == bypassDeliveryID("imt_c", "dst_b") {
		t.Fatal("bypass delivery ids are not one per import and destination")
	}
}
