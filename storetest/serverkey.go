package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testServerKey checks that the first key stored under a name is the one
// every later and concurrent call gets, and that names are apart.
func testServerKey(t *testing.T, s herald.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	first := bytes.Repeat([]byte{1}, 32)
	got, err := s.ServerKey(ctx, herald.ServerKeyParams{Name: herald.ServerKeyUI, New: first, Now: now})
	if err != nil {
		t.Fatalf("ServerKey: %v", err)
	}
	if !bytes.Equal(got, first) {
		t.Fatalf("first ServerKey = %x, want %x", got, first)
	}
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = s.ServerKey(ctx, herald.ServerKeyParams{Name: herald.ServerKeyUI, New: bytes.Repeat([]byte{byte(i + 2)}, 32), Now: now})
		}()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || !bytes.Equal(keys[i], first) {
			t.Fatalf("ServerKey call %d = %x, %v; want the first key", i, keys[i], errs[i])
		}
	}
	other, err := s.ServerKey(ctx, herald.ServerKeyParams{Name: "other", New: bytes.Repeat([]byte{9}, 16), Now: now})
	if err != nil || !bytes.Equal(other, bytes.Repeat([]byte{9}, 16)) {
		t.Fatalf("ServerKey other = %x, %v; want its own key", other, err)
	}
	for _, p := range []herald.ServerKeyParams{{Name: "", New: first}, {Name: "short", New: []byte("short")}} {
		if _, err := s.ServerKey(ctx, p); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("ServerKey(%q, %d bytes) = %v, want EINVALID", p.Name, len(p.New), err)
		}
	}
}
