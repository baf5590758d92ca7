// Package attest turns SBOMs and vulnerability scan reports into in-toto
// statements and reads them back.
//
// The parsers validate their input instead of wrapping it blindly: ParseSBOM
// accepts SPDX 2.x JSON and CycloneDX 1.x JSON documents, ParseScan accepts
// Trivy JSON (schema 2), Grype JSON and SARIF 2.1.0 reports and normalizes
// their findings to one severity scale. A file that is not what it claims to
// be is refused with an error naming what is wrong and where.
//
// Statement wraps a predicate in an in-toto Statement v1 whose subject is an
// image digest; ParseStatement reads v1 and v0.1 statements back, and
// ParsedStatement.CreatedAt reports the creation time the predicate claims.
// Scan.Predicate renders the cosign vulnerability predicate
// (PredicateVuln) and ParseVulnPredicate reads one, whether vouch or cosign
// wrote it.
package attest
