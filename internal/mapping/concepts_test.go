package mapping

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLexiconHasNoConflicts keeps every compact term of concepts.json to one
// meaning: a term listed twice with two meanings would silently take the
// first, and a reader of the file could not tell which.
func TestLexiconHasNoConflicts(t *testing.T) {
	t.Parallel()
	var file struct {
		Concepts []struct {
			ID    string              `json:"id"`
			Terms map[string][]string `json:"terms"`
		} `json:"concepts"`
		Qualifiers map[string][]string `json:"qualifiers"`
		Owners     []string            `json:"owners"`
		Fillers    []string            `json:"fillers"`
	}
	if err := json.Unmarshal(conceptsJSON, &file); err != nil {
		t.Fatal(err)
	}
	meaning := map[string]string{}
	check := func(term, m string) {
		c := compact(strings.TrimLeft(term, "~^"))
		if c == "" {
			t.Errorf("term %q is empty once normalised", term)
			return
		}
		if prev, ok := meaning[c]; ok && prev != m {
			t.Errorf("term %q (%s) is already %s", term, m, prev)
		}
		meaning[c] = m
	}
	for _, c := range file.Concepts {
		for _, lang := range locales {
			if len(c.Terms[lang]) == 0 {
				t.Errorf("concept %s has no term in %s", c.ID, lang)
			}
			for _, term := range c.Terms[lang] {
				m := "concept " + c.ID
				if strings.HasPrefix(term, "~") || strings.HasPrefix(term, "^") {
					m += " (weak)"
				}
				check(term, m)
			}
		}
	}
	for _, lang := range locales {
		for _, term := range file.Qualifiers[lang] {
			check(term, "qualifier")
		}
	}
	for _, term := range file.Owners {
		check(term, "owner")
	}
	for _, term := range file.Fillers {
		check(term, "filler")
	}
}

// TestConceptsCoverTheIssue checks that the concepts issue 12 asks for are in
// the dictionary, each in the seven locales (the test above checks those).
func TestConceptsCoverTheIssue(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"given_name", "family_name", "full_name", "email", "phone", "mobile", "fax", "company", "job_title", "street", "address_line_2", "city", "region", "postal_code", "country", "birth_date", "notes", "id", "date", "amount", "quantity", "sku", "currency", "url", "gender", "tax_id"} {
		if _, ok := dict().owner[c]; !ok {
			t.Errorf("concept %s missing", c)
		}
	}
	for term, want := range map[string]string{"fname": "given_name", "lname": "family_name", "dob": "birth_date", "tel": "phone", "addr": "street", "ctry": "country", "org": "company", "qty": "quantity"} {
		if got := analyse(term).concept; got != want {
			t.Errorf("%s is %q, want %s", term, got, want)
		}
	}
}

// TestAnalyse pins how a few headers are read.
func TestAnalyse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header, concept string
		qualified       bool
		index           int
	}{
		{"Email Address", "email", false, 1},
		{"E-mail 2 Address", "email", false, 2},
		{"Email consent", "email", true, 1},
		{"Company Name", "company", false, 1},
		{"Company Phone", "phone", false, 1},
		{"Default Address Address2", "address_line_2", false, 1},
		{"Phone (mobile)", "mobile", false, 1},
		{"携帯電話番号", "mobile", false, 1},
		{"emailadresse", "email", false, 1},
		{"LEID", "", false, 1},
		{"IP Address", "", false, 1},
	} {
		a := analyse(c.header)
		if a.concept != c.concept || a.qualified != c.qualified || a.index != c.index {
			t.Errorf("%q: concept %q qualified %v index %d, want %q %v %d", c.header, a.concept, a.qualified, a.index, c.concept, c.qualified, c.index)
		}
	}
}
