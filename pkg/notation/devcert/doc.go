// Package devcert makes development certificates for Notary Project
// (notation) signing: a self-signed root CA and a code-signing leaf
// certificate issued by it, both meeting the Notary Project certificate
// requirements, and writes them as the files vouch and notation read.
//
// These certificates are for development and tests. Production signing
// keys come from a real CA: [WriteCSR] writes a key and a certificate
// signing request to send to one.
package devcert
