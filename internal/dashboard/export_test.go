package dashboard

import "time"

// TOTPNow is the current code of a base32 secret, for the external tests.
func TOTPNow(secretB32 string, offset int64) string {
	secret, _ := totpEncoding.DecodeString(secretB32)
	return totpCode(secret, time.Now().Unix()/int64(totpStep/time.Second)+offset)
}
