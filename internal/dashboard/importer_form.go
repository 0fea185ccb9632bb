package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/identity"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// importerForm is the importer editor: the fields as typed and an error per
// field, shown next to it.
type importerForm struct {
	ID, Key        string
	Name           string
	Mode           string
	RetentionDays  string
	AllowedOrigins string
	// Recipients are the e2e age public keys, one per line.
	Recipients    string
	AllowInvalid  bool
	LearnMappings bool
	// RequireIdentity: uploads need an end user signed by the host app;
	// HasIdentitySecret says the importer has a secret to rotate, and
	// NewIdentitySecret is one just made, shown once.
	RequireIdentity   bool
	HasIdentitySecret bool
	NewIdentitySecret string
	MaxRows           string
	MaxFileMB         string
	Template          string
	Errors            map[string]string
	Modes             []string
	// Embed and Hosted are the snippet and hosted link of a saved importer.
	Embed, Hosted string
	// NoOrigins is true while the saved importer allows no origin: the
	// snippet then works on no site, which the page says above it.
	NoOrigins bool
	// Destinations are where its rows go; Deliveries is false when the
	// server runs without the delivery engine.
	Destinations []delivery.Destination
	Deliveries   bool
	// Learned is the importer's learned mappings (header → key), newest
	// first: headers of end users' files, shown to the team only.
	Learned []store.LearnedMapping
}

// starterTemplate is what a new importer starts from.
const starterTemplate = `{
  "columns": [
    {"key": "name", "label": "Name", "type": "text", "required": true},
    {"key": "email", "label": "Email", "type": "email", "required": true, "unique": true, "synonyms": ["e-mail", "mail"]}
  ]
}`

var modes = []string{store.ModeStored, store.ModeBypass, store.ModeE2E, store.ModeClient}

func formFromImporter(im store.Importer) importerForm {
	var pretty bytes.Buffer
	if json.Indent(&pretty, im.Template, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(im.Template)
	}
	return importerForm{ID: im.ID, Key: im.Key, Name: im.Name, Mode: im.Mode, RetentionDays: strconv.Itoa(im.RetentionDays),
		AllowedOrigins: strings.Join(im.AllowedOrigins, "\n"), Recipients: strings.Join(im.Recipients, "\n"), AllowInvalid: im.AllowInvalid, LearnMappings: im.LearnMappings,
		RequireIdentity: im.RequireIdentity, HasIdentitySecret: im.IdentitySecretSealed != nil,
		MaxRows: strconv.FormatInt(im.MaxRows, 10), MaxFileMB: strconv.FormatInt(im.MaxFileBytes>>20, 10),
		Template: pretty.String(), Modes: modes}
}

// parseImporterForm reads and checks the posted form onto im; the returned
// form carries an error per bad field (none means im is good to save).
func parseImporterForm(r *http.Request, im *store.Importer) importerForm {
	f := importerForm{ID: im.ID, Key: im.Key, Name: strings.TrimSpace(r.PostFormValue("name")), Mode: r.PostFormValue("mode"),
		RetentionDays: strings.TrimSpace(r.PostFormValue("retention_days")), AllowedOrigins: r.PostFormValue("allowed_origins"),
		Recipients:   r.PostFormValue("recipients"),
		AllowInvalid: r.PostFormValue("allow_invalid") == "on", LearnMappings: r.PostFormValue("learn_mappings") == "on", MaxRows: strings.TrimSpace(r.PostFormValue("max_rows")),
		RequireIdentity: r.PostFormValue("require_identity") == "on", HasIdentitySecret: im.IdentitySecretSealed != nil,
		MaxFileMB: strings.TrimSpace(r.PostFormValue("max_file_mb")), Template: r.PostFormValue("template"),
		Errors: map[string]string{}, Modes: modes}
	if f.Name == "" || len(f.Name) > 200 {
		f.Errors["name"] = "Enter a name of 1 to 200 characters."
	}
	im.Name = f.Name
	if _, err := template.Parse([]byte(f.Template)); err != nil {
		f.Errors["template"] = err.Error()
	} else {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(f.Template)); err != nil {
			f.Errors["template"] = err.Error()
		}
		im.Template = compact.Bytes()
	}
	im.Mode = f.Mode
	switch f.Mode {
	case store.ModeStored, store.ModeBypass, store.ModeE2E, store.ModeClient:
	default:
		f.Errors["mode"] = "Choose one of the modes."
	}
	days, err := strconv.Atoi(f.RetentionDays)
	if err != nil || days < 1 || days > 3650 {
		f.Errors["retention_days"] = "Enter a number of days from 1 to 3650."
	}
	im.RetentionDays = days
	im.AllowedOrigins = nil
	for line := range strings.Lines(f.AllowedOrigins) {
		o := strings.TrimSpace(line)
		if o == "" {
			continue
		}
		if !validOrigin(o) {
			f.Errors["allowed_origins"] = "Each line must be an origin such as https://app.example.com (scheme, host, optional port; no path)."
		}
		im.AllowedOrigins = append(im.AllowedOrigins, o)
	}
	im.Recipients = strings.Fields(f.Recipients)
	if im.Mode == store.ModeE2E || len(im.Recipients) > 0 {
		if err := e2e.CheckRecipients(im.Recipients); err != nil {
			f.Errors["recipients"] = "Enter 1 to 16 distinct age public keys (age1…), one per line (" + err.Error() + ")."
		}
	}
	im.AllowInvalid = f.AllowInvalid
	im.LearnMappings = f.LearnMappings
	im.RequireIdentity = f.RequireIdentity
	if im.MaxRows, err = strconv.ParseInt(cmpZero(f.MaxRows), 10, 64); err != nil || im.MaxRows < 0 {
		f.Errors["max_rows"] = "Enter 0 (no limit) or a positive number of rows."
	}
	mb, err := strconv.ParseInt(cmpZero(f.MaxFileMB), 10, 64)
	if err != nil || mb < 0 || mb > 1<<20 {
		f.Errors["max_file_mb"] = "Enter 0 (no limit) or a size in MB."
	}
	im.MaxFileBytes = mb << 20
	return f
}

func cmpZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// validOrigin accepts exactly scheme://host[:port], as the widget compares
// origins byte for byte.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		o == u.Scheme+"://"+u.Host
}

func (h *Handler) withSnippets(r *http.Request, f importerForm) importerForm {
	if f.Key != "" {
		base := h.baseURL(r)
		f.Embed = `<script src="` + base + `/embed.js"></script>` + "\n" + `<script>Intake.open({importer: "` + f.Key + `"});</script>`
		f.Hosted = base + "/i/" + f.Key
		f.NoOrigins = strings.TrimSpace(f.AllowedOrigins) == ""
	}
	return f
}

func (h *Handler) importerNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := formFromImporter(store.Importer{Mode: store.ModeStored, RetentionDays: 30, Template: []byte(starterTemplate), MaxRows: 100000, MaxFileBytes: 50 << 20, LearnMappings: true})
	return h.render(w, r, http.StatusOK, "importer", view{Title: "New importer", Nav: "importers", User: &s.User, Org: s.Org, D: f})
}

func (h *Handler) importerCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	var im store.Importer
	f := parseImporterForm(r, &im)
	if len(f.Errors) > 0 {
		return h.render(w, r, http.StatusUnprocessableEntity, "importer", view{Title: "New importer", Nav: "importers", User: &s.User, Org: s.Org, D: f})
	}
	im, err := h.o.Store.CreateImporter(r.Context(), s.Org.ID, im)
	if err != nil {
		return err
	}
	// The identity secret is bound to the importer's id, known only now.
	secret, err := identity.Provision(r.Context(), h.o.Vault, &im, false)
	if err != nil {
		return err
	}
	if secret != "" {
		if im, err = h.o.Store.UpdateImporter(r.Context(), s.Org.ID, im); err != nil {
			return err
		}
		return h.importerPage(w, r, s, im, "Saved.", secret)
	}
	http.Redirect(w, r, "/importers/"+im.ID+"?saved=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) importerEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	notice := ""
	switch {
	case r.URL.Query().Get("saved") != "":
		notice = "Saved."
	case r.URL.Query().Get("destination_deleted") != "":
		notice = "The destination was removed."
	case r.URL.Query().Get("forgotten") != "":
		notice = "The learned mappings were forgotten."
	}
	return h.importerPage(w, r, s, im, notice, "")
}

// importerPage renders a saved importer's page; newSecret is an identity
// secret just made, shown this once (the page is never cached).
func (h *Handler) importerPage(w http.ResponseWriter, r *http.Request, s *session, im store.Importer, notice, newSecret string) error {
	f := h.withSnippets(r, formFromImporter(im))
	f.NewIdentitySecret = newSecret
	if err := h.withLists(r, s, &f); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "importer", view{Title: im.Name, Nav: "importers", User: &s.User, Org: s.Org, Notice: notice, D: f})
}

// withLists adds a saved importer's learned mappings and destinations to
// its form.
func (h *Handler) withLists(r *http.Request, s *session, f *importerForm) error {
	var err error
	if f.Learned, err = h.o.Store.Learned(r.Context(), s.Org.ID, f.ID); err != nil {
		return err
	}
	if h.o.Delivery != nil {
		f.Deliveries = true
		if f.Destinations, err = h.o.Delivery.Destinations(r.Context(), s.Org.ID, f.ID); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) importerUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := parseImporterForm(r, &im)
	if f.Errors["mode"] == "" {
		// A destination the new mode cannot serve is refused next to
		// the mode, with the destinations listed below to delete it.
		dests, err := h.o.Store.Destinations(r.Context(), s.Org.ID, im.ID)
		if err != nil {
			return err
		}
		var me *delivery.ModeError
		if errors.As(delivery.CheckMode(im.Mode, dests), &me) {
			f.Errors["mode"] = fmt.Sprintf("The %s destination %s cannot work in %s mode: %v. Delete it (under Destinations below), then save.", me.Kind, me.DestinationID, im.Mode, me.Err)
		}
	}
	if len(f.Errors) > 0 {
		if err := h.withLists(r, s, &f); err != nil {
			return err
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "importer", view{Title: im.Name, Nav: "importers", User: &s.User, Org: s.Org, D: h.withSnippets(r, f)})
	}
	secret, err := identity.Provision(r.Context(), h.o.Vault, &im, r.PostFormValue("rotate_identity_secret") == "on")
	if err != nil {
		return err
	}
	if im, err = h.o.Store.UpdateImporter(r.Context(), s.Org.ID, im); err != nil {
		return err
	}
	if secret != "" {
		return h.importerPage(w, r, s, im, "Saved.", secret)
	}
	http.Redirect(w, r, "/importers/"+im.ID+"?saved=1", http.StatusSeeOther)
	return nil
}

// learnedForget deletes the importer's learned mappings ("Forget all").
func (h *Handler) learnedForget(w http.ResponseWriter, r *http.Request, s *session) error {
	im, err := h.o.Store.Importer(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	n, err := h.o.Store.ForgetLearned(r.Context(), s.Org.ID, im.ID)
	if err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "learned mappings forgotten", "org_id", s.Org.ID, "importer_id", im.ID, "user_id", s.User.ID, "count", n)
	http.Redirect(w, r, "/importers/"+im.ID+"?forgotten=1", http.StatusSeeOther)
	return nil
}
