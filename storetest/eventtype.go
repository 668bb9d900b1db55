package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var eventTypeTests = map[string]func(t *testing.T, s herald.Store){
	"EventTypeVersions": testEventTypeVersions,
	"EventTypeList":     testEventTypeList,
	"EventTypeEnsure":   testEventTypeEnsure,
	"EventTypeInvalid":  testEventTypeInvalid,
}

// testEventTypeVersions: a put makes version 1, a change the next version
// with the old one kept, a put that says nothing new no version, and a
// delete removes the type and its history.
func testEventTypeVersions(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(et herald.EventType, now time.Time) herald.PutEventTypeResult {
		t.Helper()
		res, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: &et, Now: now})
		if err != nil {
			t.Fatalf("put: %v", err)
		}
		return res
	}
	schema1 := json.RawMessage(`{"type":"object","required":["order_id"]}`)
	res := put(herald.EventType{Name: "order.created", Description: "An order was made", Schema: schema1}, t0)
	if !res.Created || !res.Changed || res.Type.Version != 1 || !res.Type.CreatedAt.Equal(t0) {
		t.Fatalf("create: %+v %+v", res, res.Type)
	}
	if string(res.Type.Example) != "null" {
		t.Fatalf("absent example stored as %s, want null", res.Type.Example)
	}
	res = put(herald.EventType{Name: "order.created", Description: "An order was made", Schema: schema1}, t0.Add(time.Hour))
	if res.Created || res.Changed || res.Type.Version != 1 || !res.Type.UpdatedAt.Equal(t0) {
		t.Fatalf("same put made a version: %+v %+v", res, res.Type)
	}
	schema2 := json.RawMessage(`{"type":"object","required":["order_id","total"]}`)
	res = put(herald.EventType{Name: "order.created", Description: "An order was made", Schema: schema2,
		Example: json.RawMessage(`{"order_id":"o1","total":3}`), Deprecated: true}, t0.Add(2*time.Hour))
	if res.Created || !res.Changed || res.Type.Version != 2 || !res.Type.CreatedAt.Equal(t0) || !res.Type.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("change: %+v %+v", res, res.Type)
	}
	got, err := s.EventType(ctx, herald.EventTypeRef{Name: "order.created", Versions: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || string(got.Schema) != string(schema2) || !got.Deprecated || len(got.Versions) != 2 {
		t.Fatalf("got %+v with %d versions", got, len(got.Versions))
	}
	v1, v2 := got.Versions[0], got.Versions[1]
	if v1.Version != 1 || string(v1.Schema) != string(schema1) || v1.Deprecated || !v1.CreatedAt.Equal(t0) ||
		v2.Version != 2 || string(v2.Example) != `{"order_id":"o1","total":3}` || !v2.Deprecated {
		t.Fatalf("versions: %+v %+v", v1, v2)
	}
	plain, err := s.EventType(ctx, herald.EventTypeRef{Name: "order.created"})
	if err != nil || plain.Versions != nil {
		t.Fatalf("without versions: %+v, %v", plain, err)
	}
	if err := s.DeleteEventType(ctx, herald.EventTypeRef{Name: "order.created"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventType(ctx, herald.EventTypeRef{Name: "order.created"}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteEventType(ctx, herald.EventTypeRef{Name: "order.created"}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("delete again: %v", err)
	}
	res = put(herald.EventType{Name: "order.created"}, t0.Add(3*time.Hour))
	if !res.Created || res.Type.Version != 1 {
		t.Fatalf("re-create after delete: %+v", res.Type)
	}
	again, err := s.EventType(ctx, herald.EventTypeRef{Name: "order.created", Versions: true})
	if err != nil || len(again.Versions) != 1 {
		t.Fatalf("history of the re-created type: %+v, %v", again, err)
	}
}

func testEventTypeList(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for _, n := range []string{"b.x", "a.y", "a.x", "ab.z"} {
		if _, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: &herald.EventType{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(f herald.EventTypeFilter) []string {
		ts, err := s.ListEventTypes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, et := range ts {
			if et.Versions != nil {
				t.Fatalf("list carries versions: %+v", et)
			}
			out = append(out, et.Name)
		}
		return out
	}
	if got := names(herald.EventTypeFilter{}); !slices.Equal(got, []string{"a.x", "a.y", "ab.z", "b.x"}) {
		t.Fatalf("all: %v", got)
	}
	if got := names(herald.EventTypeFilter{Prefix: "a."}); !slices.Equal(got, []string{"a.x", "a.y"}) {
		t.Fatalf("prefix a.: %v", got)
	}
	if got := names(herald.EventTypeFilter{Prefix: "%"}); len(got) != 0 {
		t.Fatalf("prefix %%: %v", got)
	}
}

// testEventTypeEnsure: the missing types are added at version 1 and the
// existing ones are left as they are.
func testEventTypeEnsure(t *testing.T, s herald.Store) {
	ctx := context.Background()
	if _, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: &herald.EventType{Name: "a.one", Description: "mine"}}); err != nil {
		t.Fatal(err)
	}
	cat := []*herald.EventType{
		{Name: "a.one", Description: "built in"},
		{Name: "a.two", Description: "built in", Schema: json.RawMessage(`{"type":"object"}`), Example: json.RawMessage(`{}`)},
	}
	n, err := s.EnsureEventTypes(ctx, herald.EnsureEventTypesParams{Types: cat})
	if err != nil || n != 1 {
		t.Fatalf("ensure: %d, %v", n, err)
	}
	if n, err := s.EnsureEventTypes(ctx, herald.EnsureEventTypesParams{Types: cat}); err != nil || n != 0 {
		t.Fatalf("ensure again: %d, %v", n, err)
	}
	one, _ := s.EventType(ctx, herald.EventTypeRef{Name: "a.one"})
	two, err := s.EventType(ctx, herald.EventTypeRef{Name: "a.two", Versions: true})
	if err != nil || one.Description != "mine" || two.Version != 1 || len(two.Versions) != 1 || string(two.Schema) != `{"type":"object"}` {
		t.Fatalf("after ensure: %+v %+v %v", one, two, err)
	}
}

func testEventTypeInvalid(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for _, et := range []herald.EventType{
		{Name: "Bad Name"},
		{Name: ""},
		{Name: "a.b", Schema: json.RawMessage(`[1]`)},
		{Name: "a.b", Example: json.RawMessage(`"x"`)},
		{Name: "a.b", Description: "nul\x00"},
	} {
		if _, err := s.PutEventType(ctx, herald.PutEventTypeParams{Type: &et}); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("put %+v: %v, want EINVALID", et, err)
		}
	}
}
