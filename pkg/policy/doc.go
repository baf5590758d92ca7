// Package policy reads vouch trust policies: one YAML file that names the
// signers vouch trusts and the rules every image in a scope must meet.
//
// [Load] and [Parse] validate the whole file before returning it. Every
// problem is reported as an [*Error] carrying the file, line and column it
// refers to, and all problems found in one pass are returned together (see
// [ErrorList]). Public keys and notation trust stores named by signers are
// read and parsed at load time, and Rego modules named by rego fields
// compiled (see [RegoRule]), so a [Policy] that loads is ready for
// verification.
//
// [ImportNotation] turns a notation trust policy and trust store into a
// policy file.
//
// [Policy.Match] selects the image policies whose scope globs match a
// repository. Every policy it returns applies to the image; the verification
// engine requires all of them to pass and rejects an image no policy matches.
//
// The schema is described in docs/trust-policy.md.
package policy
