package ui

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testStats are 60 one-minute buckets from 11:00 UTC: at 11:09 one
// delivery of each outcome, at 11:10 one success, and at 11:30 twenty.
func testStats() *herald.DeliveryStats {
	since := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	st, err := herald.NewDeliveryStats(herald.DeliveryStatsParams{Tenancy: herald.AnyTenant(), Since: since, Until: since.Add(time.Hour), Bucket: time.Minute})
	if err != nil {
		panic(err)
	}
	st.Window = "1h"
	ms := func(v int64) *int64 { return &v }
	st.Buckets[9].Succeeded, st.Buckets[9].Failed, st.Buckets[9].Pending = 1, 1, 1
	st.Buckets[9].P50MS, st.Buckets[9].P95MS = ms(300), ms(500)
	st.Buckets[10].Succeeded, st.Buckets[10].P50MS, st.Buckets[10].P95MS = 1, ms(50), ms(50)
	st.Buckets[30].Succeeded, st.Buckets[30].P50MS, st.Buckets[30].P95MS = 20, ms(10), ms(19)
	return st
}

func TestDeliveryChartSVG(t *testing.T) {
	page, _ := url.Parse("/ui/deliveries?webhook=wh_1&status=failed&skip=25&notice=x")
	c := newDeliveryChart(testStats(), page)
	svg := string(c.SVG)
	for _, want := range []string{
		`role="img"`,
		`aria-label="Deliveries per 1 minute, last hour: 22 succeeded, 1 failed, 1 pending; p95 attempt latency up to 500 ms."`,
		`<title>Deliveries per 1 minute, last hour: 22 succeeded, 1 failed, 1 pending; p95 attempt latency up to 500 ms.</title>`,
		// 20 of a 20 axis at 11:30: the plot's full height, 220 units
		// from y 12, in the 31st of 60 slots 620/60 wide from x 44.
		`<rect class="bar-succeeded" x="354.8" y="12.0" width="8.8" height="220.0"><title>11:30: 20 succeeded</title></rect>`,
		// 11:09's three stack, each 11 units high.
		`<rect class="bar-succeeded" x="137.8" y="221.0" width="8.8" height="11.0">`,
		`<rect class="bar-failed" x="137.8" y="210.0" width="8.8" height="11.0">`,
		`<rect class="bar-pending" x="137.8" y="199.0" width="8.8" height="11.0">`,
		// p50 joins 11:09 and 11:10, then starts again at 11:30; the ms
		// axis ends at 500.
		`<g class="line-p50"><path d="M142.2 100.0 L152.5 210.0 M359.2 227.6"/>`,
		`<g class="line-p95"><path d="M142.2 12.0 L152.5 210.0 M359.2 223.6"/>`,
		`>500 ms</text>`, `>250 ms</text>`, `>20</text>`, `>10</text>`,
		`>11:00</text>`, `>11:30</text>`, `>12:00</text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %s:\n%s", want, svg)
		}
	}
	if n := strings.Count(svg, "<rect "); n != 5 {
		t.Errorf("%d bars, want 5", n)
	}
	if n := strings.Count(svg, "<circle "); n != 6 {
		t.Errorf("%d latency dots, want 6", n)
	}
	if c.Succeeded != 22 || c.Failed != 1 || c.Pending != 1 || len(c.Rows) != 3 || c.BucketLabel != "1 minute" {
		t.Errorf("chart %+v", c)
	}

	html, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{
		`<nav class="chart-windows" aria-label="Chart window">`,
		`<a href="/ui/deliveries?chart=1h&amp;status=failed&amp;webhook=wh_1#delivery_chart" aria-current="page">Last hour</a>`,
		`<a href="/ui/deliveries?chart=7d&amp;status=failed&amp;webhook=wh_1#delivery_chart">Last 7 days</a>`,
		`one bar per 1 minute (UTC)`,
		`<li><span class="swatch line-p95" aria-hidden="true"></span>p95 latency (ms, right axis)</li>`,
		`<details>`, `<th scope="col">p95 ms</th>`,
		`<tr><th scope="row">11:09</th><td>1</td><td>1</td><td>1</td><td>300</td><td>500</td></tr>`,
		`<tr><th scope="row">11:30</th><td>20</td><td>0</td><td>0</td><td>10</td><td>19</td></tr>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("chart HTML lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "style=") || strings.Contains(s, "<script") {
		t.Errorf("chart HTML has an inline style or script:\n%s", s)
	}
}

func TestDeliveryChartEmpty(t *testing.T) {
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	st, err := herald.NewDeliveryStats(herald.DeliveryStatsParams{Tenancy: herald.AnyTenant(), Since: since, Until: since.Add(7 * 24 * time.Hour), Bucket: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st.Window = "7d"
	page, _ := url.Parse("/ui/webhooks/wh_1")
	c := newDeliveryChart(st, page)
	html, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{
		`aria-label="Deliveries per 2 hours, last 7 days: 0 succeeded, 0 failed, 0 pending."`,
		`one bar per 2 hours (UTC)`, `No deliveries or attempts in this window.`,
		`>Mar 1 00:00</text>`, `>Mar 8 00:00</text>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("empty chart lacks %s:\n%s", want, s)
		}
	}
	if regexp.MustCompile(`<rect |<path |<circle `).MatchString(s) {
		t.Errorf("empty chart draws bars or lines:\n%s", s)
	}
}

func TestChartHelpers(t *testing.T) {
	for in, want := range map[int64]int64{0: 1, 1: 1, 2: 2, 3: 5, 7: 10, 10: 10, 11: 20, 499: 500, 501: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[int64]string{1: "1 second", 60: "1 minute", 900: "15 minutes", 7200: "2 hours", 90: "90 seconds"} {
		if got := bucketLabel(in); got != want {
			t.Errorf("bucketLabel(%d) = %q, want %q", in, got, want)
		}
	}
	for q, want := range map[string]string{"": "24h", "chart=1h": "1h", "chart=7d": "7d"} {
		if got, err := chartWindowOf(httptest.NewRequest("GET", "/ui/deliveries?"+q, nil)); err != nil || got != want {
			t.Errorf("?%s: %q %v, want %q", q, got, err, want)
		}
	}
	if _, err := chartWindowOf(httptest.NewRequest("GET", "/ui/deliveries?chart=2h", nil)); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("?chart=2h: %v, want EINVALID", err)
	}
}
