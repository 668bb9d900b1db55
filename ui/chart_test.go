package ui

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var chartT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// wellFormed fails t unless html is well-formed XML (as inline SVG must be).
func wellFormed(t *testing.T, html string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(html))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("chart is not well-formed: %v\n%s", err, html)
		}
	}
}

// polylines returns the points of each polyline of html.
func polylines(t *testing.T, html string) [][][2]float64 {
	t.Helper()
	var out [][][2]float64
	for _, m := range regexp.MustCompile(`<polyline [^>]*points="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		var line [][2]float64
		for _, xy := range strings.Fields(m[1]) {
			x, y, _ := strings.Cut(xy, ",")
			fx, err1 := strconv.ParseFloat(x, 64)
			fy, err2 := strconv.ParseFloat(y, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad point %q", xy)
			}
			line = append(line, [2]float64{fx, fy})
		}
		out = append(out, line)
	}
	return out
}

func TestLineChartScales(t *testing.T) {
	pts := []chartPoint{
		{At: chartT0.Add(2 * time.Hour), Value: 5},
		{At: chartT0, Value: 10},
		{At: chartT0.Add(time.Hour), Value: 20},
	}
	html := string(lineChart(chartSeries{Name: "cpu", Points: pts}))
	wellFormed(t, html)
	lines := polylines(t, html)
	if len(lines) != 1 || len(lines[0]) != 3 {
		t.Fatalf("want one polyline of 3 points: %v", lines)
	}
	l := lines[0]
	x0, x1, yTop, yBottom := chartLeft, chartW-chartRight, chartTop, chartH-chartBottom
	// Sorted by time: 10 at the left, 20 (the max) at the top middle, 5
	// (the min) at the bottom right.
	want := [][2]float64{{x0, yTop + (yBottom-yTop)*(20-10)/15}, {(x0 + x1) / 2, yTop}, {x1, yBottom}}
	for i := range want {
		if d0, d1 := l[i][0]-want[i][0], l[i][1]-want[i][1]; d0*d0+d1*d1 > 0.1 {
			t.Errorf("point %d at %v, want %v", i, l[i], want[i])
		}
	}
	if pts[0].Value != 5 {
		t.Errorf("lineChart reordered its caller's points: %v", pts)
	}
	for _, s := range []string{
		`role="img"`,
		`aria-label="cpu: 3 points from 10:00 to 12:00 UTC, between 5 and 20"`,
		`<title>cpu: 3 points from 10:00 to 12:00 UTC, between 5 and 20</title>`,
		`>20</text>`, `>12.5</text>`, `>5</text>`, `>10:00</text>`, `>11:00</text>`, `>12:00</text>`,
		`<details class="chart-data"><summary>Values of cpu</summary>`,
		`<th scope="col">Time</th><th scope="col">cpu</th>`,
		`<tr><td>2026-03-01 10:00:00 UTC</td><td>10</td></tr><tr><td>2026-03-01 11:00:00 UTC</td><td>20</td></tr>`,
	} {
		if !strings.Contains(html, s) {
			t.Errorf("chart lacks %s:\n%s", s, html)
		}
	}
	if strings.Contains(html, "style=") || strings.Contains(html, "chart-legend") {
		t.Errorf("a one-series chart has an inline style or a legend:\n%s", html)
	}
}

func TestLineChartSpanAndSeries(t *testing.T) {
	from, to := chartT0, chartT0.Add(48*time.Hour)
	html := string(lineChart(
		chartSeries{Name: "a", From: from, To: to, Points: []chartPoint{{At: chartT0.Add(12 * time.Hour), Value: 1}, {At: chartT0.Add(36 * time.Hour), Value: 3}}},
		chartSeries{Name: "b", Points: []chartPoint{{At: chartT0.Add(24 * time.Hour), Value: 2}}},
	))
	wellFormed(t, html)
	lines := polylines(t, html)
	x0, x1 := chartLeft, chartW-chartRight
	if len(lines) != 1 || lines[0][0][0] != x0+(x1-x0)/4 || lines[0][1][0] != x0+(x1-x0)*3/4 {
		t.Errorf("series a over the 48h span: %v", lines)
	}
	if !strings.Contains(html, `<circle class="chart-line chart-line-1" cx="342.0" cy="102.0"`) {
		t.Errorf("series b's one point is no dot in the middle:\n%s", html)
	}
	for _, s := range []string{`>Mar 1 10:00</text>`, `>Mar 3 10:00</text>`, `chart-key-0`, `chart-key-1`,
		`<th scope="col">a</th><th scope="col">b</th>`, `<td>2026-03-02 10:00:00 UTC</td><td>—</td><td>2</td>`} {
		if !strings.Contains(html, s) {
			t.Errorf("chart lacks %s:\n%s", s, html)
		}
	}
}

func TestLineChartEmptyAndEscaped(t *testing.T) {
	html := string(lineChart(chartSeries{Name: `<b>"x"</b>`}))
	wellFormed(t, html)
	if strings.Contains(html, "<b>") || !strings.Contains(html, `aria-label="&lt;b&gt;&#34;x&#34;&lt;/b&gt;: no data"`) {
		t.Errorf("the name is not escaped:\n%s", html)
	}
	if !strings.Contains(html, ">No data</text>") || strings.Contains(html, "<polyline") || !strings.Contains(html, "<p>No data.</p>") {
		t.Errorf("an empty chart does not say No data:\n%s", html)
	}
	flat := string(lineChart(chartSeries{Name: "flat", Points: []chartPoint{{At: chartT0, Value: 7}, {At: chartT0.Add(time.Minute), Value: 7}}}))
	if !strings.Contains(flat, ">8</text>") || !strings.Contains(flat, ">6</text>") {
		t.Errorf("a flat series is not padded by 1:\n%s", flat)
	}
}
