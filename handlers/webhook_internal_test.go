package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestSignatureVector(t *testing.T) {
	// GitHub's documented test vector for X-Hub-Signature-256.
	const (
		secret = "It's a Secret to Everybody"
		body   = "Hello, World!"
		sig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	h := &WebhookHandler{Secrets: [][]byte{[]byte("other"), []byte(secret)}}
	if !h.signedByAny(sig, []byte(body)) {
		t.Fatal("GitHub's documented vector does not verify")
	}
	if h.signedByAny(sig, []byte("Hello, World?")) {
		t.Fatal("a one-byte change to the body still verifies")
	}
	if h.signedByAny(sig[:len(sig)-1]+"f", []byte(body)) {
		t.Fatal("a one-byte change to the signature still verifies")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	if "sha256="+hex.EncodeToString(m.Sum(nil)) != sig {
		t.Fatal("the test's own signer disagrees with GitHub's vector")
	}
}
