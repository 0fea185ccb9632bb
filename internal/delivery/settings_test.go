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

// TestSavedHostsGuarded: an S3 endpoint or PostgreSQL host spelled as a
// loopback, private or metadata address, or as a loopback name, is refused
// when the destination is saved, judged on the spelling alone (nothing is
// resolved or dialled here); the allow-list the test suites use still lets
// loopback through.
func TestSavedHostsGuarded(t *testing.T) {
	t.Parallel()
	guarded := New(Options{Policy: outbound.NewPolicy(nil), Logger: slog.New(slog.DiscardHandler)})
	loopbackOK := New(Options{Policy: outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}), Logger: slog.New(slog.DiscardHandler)})
	hosts := []string{"127.0.0.1", "[::1]", "localhost", "LocalHost.", "db.localhost", "0x7f.1", "2130706433", "0177.0.0.1", "127.1",
		"10.0.0.5", "192.168.1.1", "172.16.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "[fd00::1]", "[2002:7f00:1::]"}
	try := func(s *Service, kind string, in Input) error {
		d := store.Destination{ID: "dst_x", Kind: kind, BatchSize: 1000, Parallel: 1}
		var st settings
		if _, err := in.apply(&d, &st, time.Now()); err != nil {
			return err
		}
		return s.check(d, st)
	}
	for _, h := range hosts {
		for _, c := range []struct {
			kind string
			in   Input
		}{
			{store.KindS3, Input{Bucket: ptr("exports"), Endpoint: ptr("http://" + h + ":9000")}},
			{store.KindPostgres, Input{URL: ptr("postgres://app:pw@" + h + ":5432/app"), Table: ptr("t")}},
		} {
			var ie *InvalidError
			if err := try(guarded, c.kind, c.in); !errors.As(err, &ie) || !strings.Contains(ie.Message, "outbound guard") {
				t.Errorf("%s host %s saved: %v", c.kind, h, err)
			}
		}
	}
	for _, c := range []struct{ name, url string }{
		{"host parameter", "postgres://db.example.com/app?host=127.0.0.1"},
		{"second host", "postgres://db.example.com:5432,10.0.0.7:5432/app"},
		{"unix socket", "postgres://db.example.com/app?host=/var/run/postgresql"},
	} {
		if err := try(guarded, store.KindPostgres, Input{URL: ptr(c.url), Table: ptr("t")}); err == nil {
			t.Errorf("postgres %s saved", c.name)
		}
	}
	for _, c := range []struct {
		kind string
		in   Input
	}{
		{store.KindS3, Input{Bucket: ptr("exports"), Endpoint: ptr("https://s3.eu-west-1.amazonaws.com")}},
		{store.KindPostgres, Input{URL: ptr("postgres://app:pw@db.example.com:5432/app?sslmode=require"), Table: ptr("t")}},
	} {
		if err := try(guarded, c.kind, c.in); err != nil {
			t.Errorf("%s with public names refused: %v", c.kind, err)
		}
	}
	for _, in := range []Input{
		{Bucket: ptr("exports"), Endpoint: ptr("http://127.0.0.1:9000")},
		{Bucket: ptr("exports"), Endpoint: ptr("http://localhost:9000")},
	} {
		if err := try(loopbackOK, store.KindS3, in); err != nil {
			t.Errorf("loopback allowed by the list, refused: %v", err)
		}
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
