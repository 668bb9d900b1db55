package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// chartWindows are the windows a delivery chart offers, in order, with
// their names in words.
var chartWindows = []struct{ Name, Label string }{{"1h", "Last hour"}, {"24h", "Last 24 hours"}, {"7d", "Last 7 days"}}

// defaultChartWindow is the window a chart shows without ?chart=.
const defaultChartWindow = "24h"

// The drawing area of a delivery chart, in SVG user units: the plot
// is inset by the margins, which hold the axes' labels.
const (
	chartWidth, chartHeight           = 720, 260
	dcLeft, dcRight, dcTop            = 44, 56, 12
	dcBottom                          = 28
	chartPlotWidth, chartPlotHeight   = chartWidth - dcLeft - dcRight, chartHeight - dcTop - dcBottom
	chartBarGap                       = 0.15 // of a bucket's width
	chartLatencyDot, chartXLabelCount = 2.5, 4
)

// deliveryChart is a chart of delivery outcomes and attempt latency over
// a window, drawn on the server as SVG, with a table of its figures.
type deliveryChart struct {
	Stats *herald.DeliveryStats
	// Window is "1h", "24h" or "7d"; WindowLabel it in words.
	Window, WindowLabel string
	// BucketLabel is the width of a bucket in words, such as "15 minutes".
	BucketLabel string
	// Summary is the chart's text alternative.
	Summary string
	// Succeeded, Failed and Pending are the totals of the window.
	Succeeded, Failed, Pending int
	// SVG is the drawing.
	SVG template.HTML
	// Links select the window, keeping the page's other query parameters.
	Links []chartLink
	// Rows are the buckets with deliveries or attempts, for the table.
	Rows []herald.DeliveryStatsBucket
	// TimeFormat writes a bucket's start.
	TimeFormat string
}

// chartLink is one window of the selector.
type chartLink struct {
	Label, Href string
	Current     bool
}

// chartWindowOf reads ?chart= of r: "1h", "24h" or "7d", default 24h.
func chartWindowOf(r *http.Request) (string, error) {
	w := r.URL.Query().Get("chart")
	if w == "" {
		return defaultChartWindow, nil
	}
	if _, ok := herald.StatsWindows[w]; !ok {
		return "", herald.Errorf(herald.EINVALID, "chart: must be 1h, 24h or 7d, got %q", w)
	}
	return w, nil
}

// loadChart reads the stats of the window ?chart= names, of one webhook
// when webhookID is set, and draws them with window links to page.
func (u *UI) loadChart(r *http.Request, webhookID string, page *url.URL) (*deliveryChart, error) {
	window, err := chartWindowOf(r)
	if err != nil {
		return nil, err
	}
	p, err := herald.StatsParams(sessionOf(r).tenancy(), webhookID, window, u.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	st, err := u.cfg.Store.DeliveryStats(r.Context(), p)
	if err != nil {
		return nil, err
	}
	st.Window = window
	return newDeliveryChart(st, page), nil
}

// newDeliveryChart draws st; page is the URL of the page it is on, which
// the window links keep, with their #delivery_chart anchor.
func newDeliveryChart(st *herald.DeliveryStats, page *url.URL) *deliveryChart {
	c := &deliveryChart{Stats: st, Window: st.Window, BucketLabel: bucketLabel(st.BucketSeconds), TimeFormat: "15:04"}
	if st.Until.Sub(st.Since) > 24*time.Hour {
		c.TimeFormat = "Jan 2 15:04"
	}
	for _, w := range chartWindows {
		q := page.Query()
		q.Set("chart", w.Name)
		q.Del("skip")
		q.Del("notice")
		c.Links = append(c.Links, chartLink{Label: w.Label, Href: page.Path + "?" + q.Encode() + "#delivery_chart", Current: w.Name == st.Window})
		if w.Name == st.Window {
			c.WindowLabel = w.Label
		}
	}
	if c.WindowLabel == "" {
		c.WindowLabel = "From " + st.Since.Format(c.TimeFormat) + " to " + st.Until.Format(c.TimeFormat) + " UTC"
	}
	var maxP95 int64
	for _, b := range st.Buckets {
		c.Succeeded, c.Failed, c.Pending = c.Succeeded+b.Succeeded, c.Failed+b.Failed, c.Pending+b.Pending
		if b.Total() > 0 || b.P50MS != nil {
			c.Rows = append(c.Rows, b)
		}
		if b.P95MS != nil && *b.P95MS > maxP95 {
			maxP95 = *b.P95MS
		}
	}
	c.Summary = fmt.Sprintf("Deliveries per %s, %s: %d succeeded, %d failed, %d pending", c.BucketLabel,
		strings.ToLower(c.WindowLabel), c.Succeeded, c.Failed, c.Pending)
	if anyLatency(c.Rows) {
		c.Summary += fmt.Sprintf("; p95 attempt latency up to %d ms", maxP95)
	}
	c.Summary += "."
	c.SVG = drawDeliveryChart(c, maxP95)
	return c
}

// anyLatency reports whether a bucket of rows has attempts.
func anyLatency(rows []herald.DeliveryStatsBucket) bool {
	for _, b := range rows {
		if b.P50MS != nil {
			return true
		}
	}
	return false
}

// bucketLabel writes a bucket width in words: "1 minute", "15 minutes",
// "2 hours".
func bucketLabel(seconds int64) string {
	unit, n := "second", seconds
	switch {
	case seconds%3600 == 0:
		unit, n = "hour", seconds/3600
	case seconds%60 == 0:
		unit, n = "minute", seconds/60
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, at least 1, so
// that an axis ends on a round number.
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

// drawDeliveryChart draws the buckets of c as stacked bars (succeeded,
// failed, pending; left axis, deliveries) and the p50 and p95 latency as
// lines with a dot per bucket (right axis, ms). Every class is styled in
// ui.css; every text is escaped.
func drawDeliveryChart(c *deliveryChart, maxP95 int64) template.HTML {
	st := c.Stats
	var maxCount int64
	for _, b := range st.Buckets {
		maxCount = max(maxCount, int64(b.Total()))
	}
	countTop, msTop := niceCeil(maxCount), niceCeil(maxP95)
	n := max(len(st.Buckets), 1)
	bw := float64(chartPlotWidth) / float64(n)
	y := func(v, top int64) float64 {
		return dcTop + chartPlotHeight - float64(v)/float64(top)*chartPlotHeight
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg class="delivery-chart-svg" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">`,
		chartWidth, chartHeight, template.HTMLEscapeString(c.Summary))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(c.Summary))
	// Grid and axes: 0, half and top of each.
	for _, f := range []int64{0, 1, 2} {
		gy := y(countTop*f, 2*countTop)
		fmt.Fprintf(&b, `<line class="chart-grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, dcLeft, gy, dcLeft+chartPlotWidth, gy)
		fmt.Fprintf(&b, `<text class="chart-axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, dcLeft-6, gy+4, countTop*f/2)
		fmt.Fprintf(&b, `<text class="chart-axis chart-axis-ms" x="%d" y="%.1f">%d ms</text>`, dcLeft+chartPlotWidth+6, gy+4, msTop*f/2)
	}
	b.WriteString(`<g class="chart-bars">`)
	for i, bk := range st.Buckets {
		x := dcLeft + float64(i)*bw + bw*chartBarGap/2
		w := bw * (1 - chartBarGap)
		var base int64
		for _, part := range []struct {
			class, label string
			n            int
		}{{"bar-succeeded", "succeeded", bk.Succeeded}, {"bar-failed", "failed", bk.Failed}, {"bar-pending", "pending", bk.Pending}} {
			if part.n == 0 {
				continue
			}
			top, bottom := y(base+int64(part.n), countTop), y(base, countTop)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d %s</title></rect>`,
				part.class, x, top, w, bottom-top, bk.Start.Format(c.TimeFormat), part.n, part.label)
			base += int64(part.n)
		}
	}
	b.WriteString(`</g>`)
	for _, line := range []struct {
		class string
		of    func(herald.DeliveryStatsBucket) *int64
	}{
		{"line-p50", func(b herald.DeliveryStatsBucket) *int64 { return b.P50MS }},
		{"line-p95", func(b herald.DeliveryStatsBucket) *int64 { return b.P95MS }},
	} {
		var path, dots strings.Builder
		joined := false
		for i, bk := range st.Buckets {
			v := line.of(bk)
			if v == nil {
				joined = false
				continue
			}
			cx, cy := dcLeft+(float64(i)+0.5)*bw, y(*v, msTop)
			cmd := "L"
			if !joined {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, cx, cy)
			fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="%.1f"/>`, cx, cy, chartLatencyDot)
			joined = true
		}
		if path.Len() == 0 {
			continue
		}
		fmt.Fprintf(&b, `<g class="%s"><path d="%s"/>%s</g>`, line.class, strings.TrimSpace(path.String()), dots.String())
	}
	// Time labels: the start, evenly between, and the end.
	for k := 0; k <= chartXLabelCount; k++ {
		t := st.Since.Add(time.Duration(k) * st.Until.Sub(st.Since) / chartXLabelCount)
		anchor := "middle"
		switch k {
		case 0:
			anchor = "start"
		case chartXLabelCount:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="chart-axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`,
			dcLeft+float64(k)*chartPlotWidth/chartXLabelCount, chartHeight-8, anchor, t.UTC().Format(c.TimeFormat))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// chartTemplate is a chart's figure: the window links, the SVG, its
// legend and bucket size, and the table of its figures.
var chartTemplate = template.Must(template.New("deliverychart").Parse(`<section class="card delivery-chart" id="delivery_chart" aria-labelledby="delivery_chart_heading">
<div class="bar"><h2 id="delivery_chart_heading">Deliveries and latency</h2>
<nav class="chart-windows" aria-label="Chart window">{{range .Links}}<a href="{{.Href}}"{{if .Current}} aria-current="page"{{end}}>{{.Label}}</a>{{end}}</nav></div>
<figure>
{{.SVG}}
<figcaption>
<p class="chart-bucket">{{.WindowLabel}}, one bar per {{.BucketLabel}} (UTC). Totals: {{.Succeeded}} succeeded, {{.Failed}} failed, {{.Pending}} pending.</p>
<ul class="chart-legend">
<li><span class="swatch bar-succeeded" aria-hidden="true"></span>Succeeded</li>
<li><span class="swatch bar-failed" aria-hidden="true"></span>Failed</li>
<li><span class="swatch bar-pending" aria-hidden="true"></span>Pending</li>
<li><span class="swatch line-p50" aria-hidden="true"></span>p50 latency (ms, right axis)</li>
<li><span class="swatch line-p95" aria-hidden="true"></span>p95 latency (ms, right axis)</li>
</ul>
</figcaption>
</figure>
<details>
<summary>Figures as a table</summary>
{{if .Rows}}
<div class="scroll">
<table>
<caption class="sr-only">Deliveries and attempt latency per {{.BucketLabel}}</caption>
<thead><tr><th scope="col">From (UTC)</th><th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Pending</th><th scope="col">p50 ms</th><th scope="col">p95 ms</th></tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row">{{.Start.Format $.TimeFormat}}</th><td>{{.Succeeded}}</td><td>{{.Failed}}</td><td>{{.Pending}}</td><td>{{with .P50MS}}{{.}}{{else}}—{{end}}</td><td>{{with .P95MS}}{{.}}{{else}}—{{end}}</td></tr>
{{end}}</tbody>
</table>
</div>
<p class="help">Periods without deliveries or attempts are left out.</p>
{{else}}
<p>No deliveries or attempts in this window.</p>
{{end}}
</details>
</section>`))

// HTML is the chart's section of the page.
func (c *deliveryChart) HTML() (template.HTML, error) {
	var b bytes.Buffer
	if err := chartTemplate.Execute(&b, c); err != nil {
		return "", fmt.Errorf("render delivery chart: %w", err)
	}
	return template.HTML(b.String()), nil
}
