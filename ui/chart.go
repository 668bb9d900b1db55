package ui

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// chartPoint is one value of a series at one time.
type chartPoint struct {
	At    time.Time
	Value float64
}

// chartSeries is what lineChart draws: a named line of points.
type chartSeries struct {
	// Name labels the chart (its aria-label and <title>), its legend and
	// its table's column.
	Name string
	// Points are the values, in any order; lineChart sorts them by time.
	Points []chartPoint
	// From and To, when set, are the span of time the x axis covers (the
	// union over the series); unset, it covers the points' own span.
	From, To time.Time
}

// The chart's drawing box, in SVG user units; the SVG scales to the width
// of its container (see .chart in ui.css).
const (
	chartW, chartH = 640.0, 220.0
	// The plot area's margins: room for the value labels at the left and
	// the time labels below.
	chartLeft, chartRight, chartTop, chartBottom = 56.0, 12.0, 12.0, 28.0
)

// chartLines is how many line classes ui.css colours: series i is drawn
// with class "chart-line chart-line-(i mod chartLines)".
const chartLines = 4

// lineChart draws series as a server-rendered line chart: a <figure> with
// an inline <svg role="img"> (its aria-label and <title> name the series,
// the number of points, the time span and the value range), one polyline
// per series over the same axes (three value labels at the left, three
// time labels below, a legend when there is more than one series), and a
// <details> whose table lists every value as text, one row per time and
// one column per series. A series with one point is drawn as a dot. With
// no point at all it draws the axes and says "No data". It uses classes
// only (styled in ui.css), no inline style, and escapes every name.
func lineChart(series ...chartSeries) template.HTML {
	series = append([]chartSeries(nil), series...)
	var names []string
	var all []chartPoint
	var from, to time.Time
	for i := range series {
		s := &series[i]
		pts := append([]chartPoint(nil), s.Points...)
		sort.SliceStable(pts, func(a, b int) bool { return pts[a].At.Before(pts[b].At) })
		s.Points = pts
		names = append(names, s.Name)
		all = append(all, pts...)
		for _, t := range []time.Time{s.From, s.To} {
			if !t.IsZero() {
				from, to = widen(from, to, t)
			}
		}
	}
	for _, p := range all {
		from, to = widen(from, to, p.At)
	}
	lo, hi := valueRange(all)
	title := strings.Join(names, ", ")
	label := title + ": no data"
	if len(all) > 0 {
		label = fmt.Sprintf("%s: %d points from %s to %s UTC, between %s and %s",
			title, len(all), chartTime(from, to, from), chartTime(from, to, to), chartValue(lo), chartValue(hi))
	}

	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<figure class="chart">`)
	fmt.Fprintf(&b, `<svg class="chart-svg" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, esc(label))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(label))
	x0, x1, y0, y1 := chartLeft, chartW-chartRight, chartH-chartBottom, chartTop
	fmt.Fprintf(&b, `<g class="chart-axes"><line x1="%g" y1="%g" x2="%g" y2="%g"/><line x1="%g" y1="%g" x2="%g" y2="%g"/></g>`,
		x0, y1, x0, y0, x0, y0, x1, y0)
	if len(all) == 0 {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%g" y="%g">No data</text>`, (x0+x1)/2, (y0+y1)/2)
	} else {
		// Value labels: the top, middle and bottom of the range.
		for i, v := range []float64{hi, (lo + hi) / 2, lo} {
			y := y1 + float64(i)*(y0-y1)/2
			fmt.Fprintf(&b, `<line class="chart-grid" x1="%g" y1="%s" x2="%g" y2="%s"/>`, x0, num(y), x1, num(y))
			fmt.Fprintf(&b, `<text class="chart-label chart-label-y" x="%g" y="%s">%s</text>`, x0-6, num(y+4), esc(chartValue(v)))
		}
		// Time labels: the start, middle and end of the span.
		mid := from.Add(to.Sub(from) / 2)
		for i, t := range []time.Time{from, mid, to} {
			anchor := []string{"start", "middle", "end"}[i]
			x := x0 + float64(i)*(x1-x0)/2
			fmt.Fprintf(&b, `<text class="chart-label chart-label-%s" x="%s" y="%g">%s</text>`, anchor, num(x), chartH-8, esc(chartTime(from, to, t)))
		}
		scaleX := func(t time.Time) float64 {
			if !to.After(from) {
				return (x0 + x1) / 2
			}
			return x0 + float64(t.Sub(from))/float64(to.Sub(from))*(x1-x0)
		}
		scaleY := func(v float64) float64 { return y0 - (v-lo)/(hi-lo)*(y0-y1) }
		for i, s := range series {
			class := fmt.Sprintf("chart-line chart-line-%d", i%chartLines)
			switch len(s.Points) {
			case 0:
			case 1:
				p := s.Points[0]
				fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="3"/>`, class, num(scaleX(p.At)), num(scaleY(p.Value)))
			default:
				coords := make([]string, len(s.Points))
				for j, p := range s.Points {
					coords[j] = num(scaleX(p.At)) + "," + num(scaleY(p.Value))
				}
				fmt.Fprintf(&b, `<polyline class="%s" points="%s"/>`, class, strings.Join(coords, " "))
			}
		}
	}
	b.WriteString(`</svg>`)
	if len(series) > 1 {
		b.WriteString(`<ul class="chart-legend">`)
		for i, s := range series {
			fmt.Fprintf(&b, `<li><span class="chart-key chart-key-%d" aria-hidden="true"></span>%s</li>`, i%chartLines, esc(s.Name))
		}
		b.WriteString(`</ul>`)
	}
	writeChartTable(&b, title, series)
	b.WriteString(`</figure>`)
	return template.HTML(b.String())
}

// writeChartTable writes the <details> fallback of a chart: one row per
// time, oldest first, one column per series ("—" where a series has no
// value at that time).
func writeChartTable(b *strings.Builder, title string, series []chartSeries) {
	esc := template.HTMLEscapeString
	rows := map[int64][]string{}
	var times []int64
	for i, s := range series {
		for _, p := range s.Points {
			k := p.At.UnixNano()
			if rows[k] == nil {
				rows[k] = make([]string, len(series))
				times = append(times, k)
			}
			rows[k][i] = chartValue(p.Value)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Fprintf(b, `<details class="chart-data"><summary>Values of %s</summary>`, esc(title))
	if len(times) == 0 {
		b.WriteString(`<p>No data.</p></details>`)
		return
	}
	fmt.Fprintf(b, `<div class="scroll"><table><caption class="sr-only">Values of %s</caption><thead><tr><th scope="col">Time</th>`, esc(title))
	for _, s := range series {
		fmt.Fprintf(b, `<th scope="col">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, k := range times {
		fmt.Fprintf(b, `<tr><td>%s</td>`, time.Unix(0, k).UTC().Format("2006-01-02 15:04:05 UTC"))
		for _, v := range rows[k] {
			if v == "" {
				v = "—"
			}
			fmt.Fprintf(b, `<td>%s</td>`, v)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div></details>`)
}

// widen returns the span [from, to] grown to hold t (from zero: [t, t]).
func widen(from, to, t time.Time) (time.Time, time.Time) {
	if from.IsZero() || t.Before(from) {
		from = t
	}
	if to.IsZero() || t.After(to) {
		to = t
	}
	return from, to
}

// valueRange returns the y axis of points: their lowest and highest value,
// padded by 1 either side when they are all equal (or there are none).
func valueRange(points []chartPoint) (lo, hi float64) {
	if len(points) == 0 {
		return 0, 1
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range points {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	return lo, hi
}

// chartValue formats a value label with at most 4 significant digits.
func chartValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// chartTime formats a time label of a span from..to in UTC: the time of
// day within a span shorter than a day, the date and time otherwise.
func chartTime(from, to, t time.Time) string {
	if to.Sub(from) < 24*time.Hour {
		return t.UTC().Format("15:04")
	}
	return t.UTC().Format("Jan 2 15:04")
}

// num formats an SVG coordinate with one decimal.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
