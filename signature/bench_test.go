package signature_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/heraldhq/herald/signature"
)

var benchBody = bytes.Repeat([]byte(`{"id":"evt_1","type":"agent.started"}`), 28) // about 1 KiB

func BenchmarkSign(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		signature.Sign(signature.FormatSHA256Hex, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", benchBody)
	}
}

func BenchmarkStandardSign(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		signature.StandardSign(stdSecret, stdID, stdTS, benchBody)
	}
}

func BenchmarkVerifyStandard(b *testing.B) {
	sig := signature.StandardSign(stdSecret, stdID, stdTS, benchBody)
	now := time.Unix(stdTS, 0)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := signature.VerifyStandard(stdSecret, stdID, "1614265330", sig, benchBody, 5*time.Minute, now); err != nil {
			b.Fatal(err)
		}
	}
}
