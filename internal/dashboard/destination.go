package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/store"
)

// destinationForm is the add/edit form of one destination; only the fields
// of its type are shown. Secrets are never filled in: blank means unchanged.
type destinationForm struct {
	ImporterID   string
	ImporterName string
	Dest         delivery.Destination
	Type         string
	Types        []string
	BatchSize    string
	Enabled      bool
	URL          string
	Headers      string
	Bucket       string
	Region       string
	Endpoint     string
	KeyTemplate  string
	Format       string
	Formats      []string
	Schema       string
	Table        string
	Columns      string
	Key          string
	Errors       map[string]string
	// Error is the delivery service's refusal, shown above the form.
	Error string
	// NewSecret is a webhook signing secret, shown once.
	NewSecret string
	// Test is the outcome of "send test event".
	Test *delivery.Attempt
}

var destinationTypes = []string{store.KindWebhook, store.KindS3, store.KindPostgres}

func formFromDestination(d delivery.Destination) destinationForm {
	f := destinationForm{Dest: d, Type: d.Type, BatchSize: strconv.Itoa(d.BatchSize), Enabled: d.Enabled,
		Bucket: d.Bucket, Region: d.Region, Endpoint: d.Endpoint, KeyTemplate: d.KeyTemplate, Format: d.Format,
		Schema: d.Schema, Table: d.Table, Key: strings.Join(d.Key, ", ")}
	if d.Type == store.KindWebhook {
		f.URL = d.URL // a PostgreSQL URL holds a password: never shown, blank keeps it
	}
	var cols []string
	for k, v := range d.Columns {
		cols = append(cols, k+"="+v)
	}
	f.Columns = strings.Join(cols, "\n")
	return f
}

// parseDestinationForm turns the posted form into the delivery service's
// input; creating says whether blanks mean "not set" (create) or
// "unchanged" (edit) for credentials.
func parseDestinationForm(r *http.Request, kind string, creating bool) (destinationForm, delivery.Input) {
	p := r.PostFormValue
	f := destinationForm{Type: kind, BatchSize: strings.TrimSpace(p("batch_size")), Enabled: p("enabled") == "on",
		URL: strings.TrimSpace(p("url")), Headers: p("headers"), Bucket: p("bucket"), Region: p("region"), Endpoint: p("endpoint"),
		KeyTemplate: p("key_template"), Format: p("format"), Schema: p("schema"), Table: p("table"), Columns: p("columns"),
		Key: p("key"), Errors: map[string]string{}}
	in := delivery.Input{}
	if creating {
		in.Type = &kind
	} else {
		in.Enabled = &f.Enabled
	}
	if f.BatchSize != "" {
		n, err := strconv.Atoi(f.BatchSize)
		if err != nil || n < 1 {
			f.Errors["batch_size"] = "Enter a number of rows, 1 or more."
		}
		in.BatchSize = &n
	}
	set := func(v string) *string { return &v }
	switch kind {
	case store.KindWebhook:
		in.URL = set(f.URL)
		if creating || strings.TrimSpace(f.Headers) != "" {
			h := map[string]string{}
			for line := range strings.Lines(f.Headers) {
				if strings.TrimSpace(line) == "" {
					continue
				}
				name, value, ok := strings.Cut(line, ":")
				if !ok || strings.TrimSpace(name) == "" {
					f.Errors["headers"] = "Write one header per line as Name: value."
					continue
				}
				h[strings.TrimSpace(name)] = strings.TrimSpace(value)
			}
			in.Headers = &h
		}
		in.RotateSecret, in.DropOldSecret = p("rotate_secret") == "on", p("drop_old_secret") == "on"
	case store.KindS3:
		in.Bucket, in.Region, in.Endpoint, in.KeyTemplate, in.Format = set(f.Bucket), set(f.Region), set(f.Endpoint), set(f.KeyTemplate), set(f.Format)
		if v := p("access_key_id"); creating || v != "" {
			in.AccessKeyID = set(v)
		}
		if v := p("secret_access_key"); creating || v != "" {
			in.SecretAccessKey = set(v)
		}
	case store.KindPostgres:
		if creating || f.URL != "" {
			in.URL = set(f.URL)
		}
		in.Schema, in.Table = set(strings.TrimSpace(f.Schema)), set(strings.TrimSpace(f.Table))
		cols := map[string]string{}
		for line := range strings.Lines(f.Columns) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				f.Errors["columns"] = "Write one mapping per line as template_key=table_column."
				continue
			}
			cols[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		in.Columns = &cols
		var key []string
		for k := range strings.SplitSeq(f.Key, ",") {
			if k = strings.TrimSpace(k); k != "" {
				key = append(key, k)
			}
		}
		in.Key = &key
	}
	return f, in
}

func (h *Handler) renderDestination(w http.ResponseWriter, r *http.Request, s *session, status int, im store.Importer, f destinationForm, notice string) error {
	f.ImporterID, f.ImporterName, f.Types = im.ID, im.Name, destinationTypes
	f.Formats = []string{"csv", "jsonl", "parquet"}
	title := "New destination"
	if f.Dest.ID != "" {
		title = "Destination " + f.Dest.ID
	}
	return h.render(w, r, status, "destination", view{Title: title, Nav: "importers", User: &s.User, Org: s.Org, Notice: notice, D: f})
}

// destinationError shows the delivery service's refusal on the form; other
// errors go to the error page.
func destinationError(err error, f *destinationForm) error {
	var ie *delivery.InvalidError
	if errors.As(err, &ie) {
		f.Error = ie.Message
		return nil
	}
	return err
}

func (h *Handler) destinationNew(w http.ResponseWriter, r *http.Request, s *session) error {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("type")
	if !slices.Contains(destinationTypes, kind) {
		kind = store.KindWebhook
	}
	return h.renderDestination(w, r, s, http.StatusOK, im, destinationForm{Type: kind, BatchSize: "1000", Enabled: true, Format: "csv", Schema: "public"}, "")
}

func (h *Handler) destinationCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	kind := r.PostFormValue("type")
	if !slices.Contains(destinationTypes, kind) {
		h.renderError(w, r, http.StatusBadRequest, "Choose webhook, S3 or PostgreSQL.")
		return nil
	}
	f, in := parseDestinationForm(r, kind, true)
	if len(f.Errors) == 0 {
		d, err := h.o.Delivery.CreateDestination(r.Context(), s.Org.ID, im.ID, in)
		if err == nil {
			h.o.Logger.InfoContext(r.Context(), "destination created", "org_id", s.Org.ID, "destination_id", d.ID, "user_id", s.User.ID)
			nf := formFromDestination(d)
			nf.NewSecret = d.Secret
			return h.renderDestination(w, r, s, http.StatusCreated, im, nf, "Destination added.")
		}
		if err := destinationError(err, &f); err != nil {
			return err
		}
	}
	return h.renderDestination(w, r, s, http.StatusUnprocessableEntity, im, f, "")
}

// pathDestination loads the importer {id} of the session's organization and
// its destination {dest}.
func (h *Handler) pathDestination(r *http.Request, s *session) (store.Importer, delivery.Destination, error) {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return im, delivery.Destination{}, err
	}
	d, err := h.o.Delivery.Destination(r.Context(), s.Org.ID, im.ID, r.PathValue("dest"))
	return im, d, err
}

func (h *Handler) destinationEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	im, d, err := h.pathDestination(r, s)
	if err != nil {
		return err
	}
	notice := ""
	if r.URL.Query().Get("saved") != "" {
		notice = "Saved."
	}
	return h.renderDestination(w, r, s, http.StatusOK, im, formFromDestination(d), notice)
}

func (h *Handler) destinationUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	im, old, err := h.pathDestination(r, s)
	if err != nil {
		return err
	}
	f, in := parseDestinationForm(r, old.Type, false)
	f.Dest = old
	if len(f.Errors) == 0 {
		d, err := h.o.Delivery.UpdateDestination(r.Context(), s.Org.ID, im.ID, old.ID, in)
		if err == nil {
			if d.Secret != "" {
				nf := formFromDestination(d)
				nf.NewSecret = d.Secret
				return h.renderDestination(w, r, s, http.StatusOK, im, nf, "Saved. A new signing secret was made: both secrets sign until you drop the old one.")
			}
			http.Redirect(w, r, "/importers/"+url.PathEscape(im.ID)+"/destinations/"+url.PathEscape(d.ID)+"?saved=1", http.StatusSeeOther)
			return nil
		}
		if err := destinationError(err, &f); err != nil {
			return err
		}
	}
	return h.renderDestination(w, r, s, http.StatusUnprocessableEntity, im, f, "")
}

func (h *Handler) destinationDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := h.o.Delivery.DeleteDestination(r.Context(), s.Org.ID, r.PathValue("id"), r.PathValue("dest")); err != nil {
		return err
	}
	http.Redirect(w, r, "/importers/"+url.PathEscape(r.PathValue("id"))+"?destination_deleted=1", http.StatusSeeOther)
	return nil
}

// destinationTest sends a webhook destination a test event and shows the
// attempt: status, latency and the error, if any.
func (h *Handler) destinationTest(w http.ResponseWriter, r *http.Request, s *session) error {
	im, d, err := h.pathDestination(r, s)
	if err != nil {
		return err
	}
	f := formFromDestination(d)
	at, err := h.o.Delivery.TestDestination(r.Context(), s.Org.ID, im.ID, d.ID)
	if err := destinationError(err, &f); err != nil {
		return err
	}
	if f.Error == "" {
		f.Test = &at
	}
	return h.renderDestination(w, r, s, http.StatusOK, im, f, "")
}

// deliveryReplay sends a completed import to one destination again.
func (h *Handler) deliveryReplay(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	if _, err := h.o.Delivery.Replay(r.Context(), s.Org.ID, id, r.PathValue("dest")); err != nil {
		if errors.Is(err, delivery.ErrNotCompleted) {
			h.renderError(w, r, http.StatusConflict, "Only a completed import can be delivered again.")
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/imports/"+url.PathEscape(id)+"?replayed=1", http.StatusSeeOther)
	return nil
}
