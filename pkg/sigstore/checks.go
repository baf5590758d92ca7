package sigstore

import "strings"

// sigstore-go reports every step's failure as a message with a fixed
// prefix; these name the step. The first match wins.
var checkPrefixes = []struct {
	prefix string
	check  Check
}{
	{"failed to verify log inclusion", CheckTlog},
	{"failed to verify timestamps", CheckTimestamp},
	{"must provide timestamp", CheckTimestamp},
	{"failed to verify leaf certificate", CheckCertificate},
	{"failed to summarize certificate", CheckCertificate},
	{"failed to verify signed certificate timestamp", CheckSCT},
	{"SCTs required", CheckSCT},
	{"expected key signature", CheckKey},
	{"failed to get signature verifier", CheckKey},
	{"failed to verify signature", CheckSignature},
	{"failed to fetch envelope statement", CheckSignature},
	{"failed to verify certificate identity", CheckIdentity},
	{"can't verify certificate identities", CheckIdentity},
}

// checkOf names the step a sigstore-go verification error comes from.
func checkOf(err error) Check {
	msg := err.Error()
	for _, c := range checkPrefixes {
		if strings.HasPrefix(msg, c.prefix) {
			return c.check
		}
	}
	return CheckBundle
}
