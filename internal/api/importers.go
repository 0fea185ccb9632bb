package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/identity"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/validate"
)

// maxManagementBody bounds management request bodies (templates included).
const maxManagementBody = 1 << 20

// importerInput holds the editable fields; pointers tell PATCH which were given.
type importerInput struct {
	Name           *string         `json:"name"`
	Template       json.RawMessage `json:"template"`
	Mode           *string         `json:"mode"`
	RetentionDays  *int            `json:"retention_days"`
	AllowedOrigins *[]string       `json:"allowed_origins"`
	AllowInvalid   *bool           `json:"allow_invalid"`
	MaxRows        *int64          `json:"max_rows"`
	MaxFileBytes   *int64          `json:"max_file_bytes"`
	LearnMappings  *bool           `json:"learn_mappings"`
	// RequireIdentity turns signed end users on or off; turning them on the
	// first time makes the importer's identity secret.
	RequireIdentity *bool `json:"require_identity"`
	// RotateIdentitySecret replaces the identity secret (the old one stops
	// working at once).
	RotateIdentitySecret bool `json:"rotate_identity_secret"`
	// Recipients are the age public keys of an e2e importer.
	Recipients *[]string `json:"recipients"`
}

// importerAnswer is an importer as the API returns it: IdentitySecret is
// set only in the answer that made it, as a webhook's signing secret is.
type importerAnswer struct {
	store.Importer
	IdentitySecret string `json:"identity_secret,omitempty"`
}

// DefaultRetentionDays is how long stored rows are kept unless the importer says otherwise.
const DefaultRetentionDays = 30

// apply copies the given fields onto im and checks the result.
func (in importerInput) apply(im *store.Importer) error {
	if in.Name != nil {
		im.Name = strings.TrimSpace(*in.Name)
	}
	if in.Template != nil {
		im.Template = in.Template
	}
	if in.Mode != nil {
		im.Mode = *in.Mode
	}
	if in.RetentionDays != nil {
		im.RetentionDays = *in.RetentionDays
	}
	if in.AllowedOrigins != nil {
		im.AllowedOrigins = *in.AllowedOrigins
	}
	if in.AllowInvalid != nil {
		im.AllowInvalid = *in.AllowInvalid
	}
	if in.MaxRows != nil {
		im.MaxRows = *in.MaxRows
	}
	if in.MaxFileBytes != nil {
		im.MaxFileBytes = *in.MaxFileBytes
	}
	if in.LearnMappings != nil {
		im.LearnMappings = *in.LearnMappings
	}
	if in.RequireIdentity != nil {
		im.RequireIdentity = *in.RequireIdentity
	}
	if in.Recipients != nil {
		im.Recipients = *in.Recipients
	}
	return checkImporter(im)
}

// provisionIdentity makes im's identity secret when in asks for one (see
// identity.Provision) and returns it, or "".
func (a *API) provisionIdentity(r *http.Request, im *store.Importer, in importerInput) (string, error) {
	if (im.RequireIdentity || in.RotateIdentitySecret) && a.vault == nil {
		return "", &Error{Status: http.StatusNotImplemented, Code: "identity_unavailable", Message: "this server cannot seal identity secrets"}
	}
	return identity.Provision(r.Context(), a.vault, im, in.RotateIdentitySecret)
}

func checkImporter(im *store.Importer) error {
	if im.Name == "" || len(im.Name) > 200 {
		return badRequest("bad_importer", "name must be 1 to 200 characters")
	}
	if len(im.Template) == 0 {
		return badRequest("bad_template", "template is required")
	}
	// CheckTemplate also compiles it, so an invalid default is refused here
	// rather than at the first upload.
	if _, _, err := validate.CheckTemplate(im.Template); err != nil {
		return badRequest("bad_template", "%s", err.Error())
	}
	switch im.Mode {
	case store.ModeStored, store.ModeBypass, store.ModeE2E, store.ModeClient:
	default:
		return badRequest("bad_importer", "mode must be stored, bypass, e2e or client")
	}
	if im.Mode == store.ModeE2E || len(im.Recipients) > 0 {
		if err := e2e.CheckRecipients(im.Recipients); err != nil {
			return badRequest("bad_recipients", "%s", err.Error())
		}
	}
	if im.RetentionDays < 1 || im.RetentionDays > 3650 {
		return badRequest("bad_importer", "retention_days must be from 1 to 3650")
	}
	for i, o := range im.AllowedOrigins {
		if !validOrigin(o) {
			return badRequest("bad_importer", "allowed_origins[%d] must be an origin such as https://app.example.com (scheme, host, optional port; no path)", i)
		}
	}
	if im.MaxRows < 0 || im.MaxFileBytes < 0 {
		return badRequest("bad_importer", "max_rows and max_file_bytes must be 0 (no limit) or more")
	}
	return nil
}

func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil && o == u.Scheme+"://"+u.Host
}

func (a *API) importerCreate(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	var in importerInput
	if err := decode(w, r, maxManagementBody, &in); err != nil {
		return err
	}
	im := store.Importer{Mode: store.ModeStored, RetentionDays: DefaultRetentionDays, LearnMappings: true}
	if err := in.apply(&im); err != nil {
		return err
	}
	im, err := a.store.CreateImporter(r.Context(), org.ID, im)
	if err != nil {
		return err
	}
	// The secret is bound to the importer's id, known only now.
	secret, err := a.provisionIdentity(r, &im, in)
	if err != nil {
		return err
	}
	if secret != "" {
		if im, err = a.store.UpdateImporter(r.Context(), org.ID, im); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusCreated, importerAnswer{Importer: im, IdentitySecret: secret})
}

func (a *API) importerList(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	ims, err := a.store.Importers(r.Context(), org.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"importers": ims})
}

func (a *API) importerGet(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	im, err := a.store.Importer(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, im)
}

func (a *API) importerUpdate(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	im, err := a.store.Importer(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in importerInput
	if err := decode(w, r, maxManagementBody, &in); err != nil {
		return err
	}
	if err := in.apply(&im); err != nil {
		return err
	}
	if err := a.checkDestinations(r, org.ID, im); err != nil {
		return err
	}
	secret, err := a.provisionIdentity(r, &im, in)
	if err != nil {
		return err
	}
	im, err = a.store.UpdateImporter(r.Context(), org.ID, im)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, importerAnswer{Importer: im, IdentitySecret: secret})
}

// checkDestinations refuses im's mode when one of its destinations cannot
// work in it (delivery.CheckMode), such as a PostgreSQL destination of an
// importer switched to e2e: 409 destination_conflict, naming it.
func (a *API) checkDestinations(r *http.Request, orgID string, im store.Importer) error {
	dests, err := a.store.Destinations(r.Context(), orgID, im.ID)
	if err != nil {
		return err
	}
	if err := delivery.CheckMode(im.Mode, dests); err != nil {
		return &Error{Status: http.StatusConflict, Code: "destination_conflict", Message: err.Error()}
	}
	return nil
}

func (a *API) importerDelete(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if err := a.store.DeleteImporter(r.Context(), org.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) learnedList(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	learned, err := a.store.Learned(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"learned": learned})
}

func (a *API) learnedForget(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if _, err := a.store.ForgetLearned(r.Context(), org.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
