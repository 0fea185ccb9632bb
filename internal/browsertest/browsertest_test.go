package browsertest

import "testing"

func TestChromiumPath(t *testing.T) {
	t.Setenv("INTAKE_CHROMIUM", "")
	if got := chromiumPath(); got != ChromiumPath {
		t.Errorf("without INTAKE_CHROMIUM: %q, want %q", got, ChromiumPath)
	}
	t.Setenv("INTAKE_CHROMIUM", "/opt/chrome/chrome")
	if got := chromiumPath(); got != "/opt/chrome/chrome" {
		t.Errorf("with INTAKE_CHROMIUM: %q", got)
	}
}
