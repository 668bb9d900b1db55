package receivertest

import "testing"

// TestHandleLineInterleaved reads protocol objects that share a line with
// a threaded receiver's own prints.
func TestHandleLineInterleaved(t *testing.T) {
	r := &Receiver{stdout: &tailBuffer{}, changed: make(chan struct{})}
	listening := make(chan int, 1)
	r.handleLine(`{"received": "evt_1", "event": "agent.status", "webhook_id": "evt_1"}Agent a<1>&b status: None`, listening)
	r.handleLine(`Agent x {"received": "evt_2", "event": "e", "webhook_id": "w"}{"received": "evt_3", "event": "e", "webhook_id": "w"}`, listening)
	r.handleLine(`{"listening": 4242}`, listening)
	r.handleLine(`{"other": 1} plain {"`, listening)
	got := r.Received()
	if len(got) != 3 || got[0].ID != "evt_1" || got[1].ID != "evt_2" || got[2].ID != "evt_3" || got[0].Event != "agent.status" {
		t.Fatalf("received %+v, want evt_1, evt_2, evt_3", got)
	}
	if port := <-listening; port != 4242 {
		t.Fatalf("listening port %d, want 4242", port)
	}
	if out := r.stdout.String(); out != "{\"other\": 1} plain {\"\n" {
		t.Fatalf("non-protocol stdout %q", out)
	}
}
