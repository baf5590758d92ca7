package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vouchsec/vouch/verify"
)

// WriteTable writes one block per image: its verdict, then one row per
// check with its reason, and one per waived finding.
func WriteTable(w io.Writer, rep *verify.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, img := range rep.Images {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		writeImage(tw, img)
	}
	verdict := "PASS"
	if !rep.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(tw, "\n%s: %d image(s) checked against %s\n", verdict, len(rep.Images), rep.Policy)
	return tw.Flush()
}

func writeImage(w io.Writer, img *verify.ImageResult) {
	fmt.Fprintf(w, "%s  %s\n", strings.ToUpper(string(img.Status)), img.Reference)
	if img.Digest != "" && !strings.Contains(img.Reference, img.Digest) {
		fmt.Fprintf(w, "  digest\t%s\n", img.Digest)
	}
	if img.Error != "" {
		fmt.Fprintf(w, "  error\t%s\n", img.Error)
		return
	}
	var sigs, atts int
	for _, e := range img.Evidence {
		if e.Kind == verify.KindSignature {
			sigs++
		} else {
			atts++
		}
	}
	fmt.Fprintf(w, "  evidence\t%d signature(s), %d attestation(s)\n", sigs, atts)
	fmt.Fprintf(w, "  POLICY\tREQUIREMENT\tRESULT\tREASON\n")
	for _, p := range img.Policies {
		for _, c := range p.Checks {
			res := "pass"
			if !c.Passed {
				res = "FAIL"
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", p.Name, c.Requirement, res, c.Reason)
			for _, wv := range c.Waived {
				fmt.Fprintf(w, "  %s\t%s\twaived\t%s\n", p.Name, c.Requirement, wv)
			}
		}
	}
	for _, e := range img.Evidence {
		for _, n := range e.Notes {
			fmt.Fprintf(w, "  note\t\t\t%s: %s\n", e.Source, n)
		}
	}
}
