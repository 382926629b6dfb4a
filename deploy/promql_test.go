package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// A selector is a metric name in a PromQL query with the labels its
// matchers name.
type selector struct {
	metric string
	labels []string
}

// keywords are PromQL words that are neither metrics nor followed by "(".
var keywords = []string{"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"}

// aggregations may put their by/without clause before the "(".
var aggregations = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio"}

// groupingKeywords take a list of label names in parentheses.
var groupingKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// selectors lists the metric selectors of a PromQL query. It is a small
// lexer, not a parser: string literals, comments, ranges and numbers are
// skipped; an identifier followed by "(" is a function, as is an
// aggregation; any other identifier that is not a keyword is a metric name. That is enough
// to find every metric a valid query reads (promtool checks validity).
func selectors(q string) ([]selector, error) {
	var out []selector
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(q, i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '[':
			end := strings.IndexByte(q[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			i += end + 1
		case c == '{':
			return nil, fmt.Errorf("matchers without a metric name at %d", i)
		case isIdentStart(c):
			start := i
			for i < len(q) && isIdentPart(q[i]) {
				i++
			}
			word := q[start:i]
			next := skipSpace(q, i)
			switch {
			case slices.Contains(groupingKeywords, word):
				_, end, err := labelList(q, next)
				if err != nil {
					return nil, err
				}
				i = end
			case next < len(q) && q[next] == '(':
				// function or aggregation
			case slices.Contains(keywords, strings.ToLower(word)) || slices.Contains(aggregations, word):
			default:
				s := selector{metric: word}
				if next < len(q) && q[next] == '{' {
					labels, end, err := matchers(q, next)
					if err != nil {
						return nil, err
					}
					s.labels, i = labels, end
				}
				out = append(out, s)
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(q) && (isIdentPart(q[i]) || q[i] == '.') {
				i++
			}
		default:
			i++
		}
	}
	return out, nil
}

// groupingLabels lists the labels of every by/without/on/ignoring/group_*
// clause of q.
func groupingLabels(q string) []string {
	var out []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(q, i)
			if err != nil {
				return out
			}
			i = end
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '{':
			_, end, err := matchers(q, i)
			if err != nil {
				return out
			}
			i = end
		case isIdentStart(c):
			start := i
			for i < len(q) && isIdentPart(q[i]) {
				i++
			}
			if slices.Contains(groupingKeywords, q[start:i]) {
				labels, end, err := labelList(q, skipSpace(q, i))
				if err == nil {
					out, i = append(out, labels...), end
				}
			}
		default:
			i++
		}
	}
	return out
}

// labelList reads "(a, b)" at q[i].
func labelList(q string, i int) ([]string, int, error) {
	if i >= len(q) || q[i] != '(' {
		return nil, i, fmt.Errorf("want ( at %d", i)
	}
	end := strings.IndexByte(q[i:], ')')
	if end < 0 {
		return nil, i, fmt.Errorf("unclosed ( at %d", i)
	}
	var labels []string
	for _, l := range strings.Split(q[i+1:i+end], ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return labels, i + end + 1, nil
}

// matchers reads `{name op "value", ...}` at q[i] and returns the names.
func matchers(q string, i int) ([]string, int, error) {
	var names []string
	i++ // {
	for {
		i = skipSpace(q, i)
		if i >= len(q) {
			return nil, i, fmt.Errorf("unclosed {")
		}
		if q[i] == '}' {
			return names, i + 1, nil
		}
		if q[i] == ',' {
			i++
			continue
		}
		start := i
		for i < len(q) && isIdentPart(q[i]) {
			i++
		}
		if start == i {
			return nil, i, fmt.Errorf("want a label name at %d", i)
		}
		names = append(names, q[start:i])
		i = skipSpace(q, i)
		for i < len(q) && strings.IndexByte("=!~", q[i]) >= 0 {
			i++
		}
		i = skipSpace(q, i)
		end, err := skipString(q, i)
		if err != nil {
			return nil, i, err
		}
		i = end
	}
}

func skipString(q string, i int) (int, error) {
	if i >= len(q) || strings.IndexByte("\"'`", q[i]) < 0 {
		return i, fmt.Errorf("want a string at %d", i)
	}
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote != '`':
			j++
		case q[j] == quote:
			return j + 1, nil
		}
	}
	return i, fmt.Errorf("unclosed string at %d", i)
}

func skipSpace(q string, i int) int {
	for i < len(q) && unicode.IsSpace(rune(q[i])) {
		i++
	}
	return i
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// The lexer must find exactly the metrics and labels of queries shaped
// like the ones in the rules and the dashboard.
func TestSelectors(t *testing.T) {
	tests := []struct {
		query    string
		want     []selector
		grouping []string
	}{
		{`up`, []selector{{metric: "up"}}, nil},
		{`sum by (fabric, state) (rate(fgd_syncs_total{fabric=~"$fabric"}[5m]))`,
			[]selector{{"fgd_syncs_total", []string{"fabric"}}}, []string{"fabric", "state"}},
		{`histogram_quantile(0.95, sum by (stage, le) (rate(x_bucket{a="}", b!~'q\'"'}[1h:5m])))`,
			[]selector{{"x_bucket", []string{"a", "b"}}}, []string{"stage", "le"}},
		{"time() - max by (fabric) (a) > 3 * max(b > 0) without (instance) # by (c) d",
			[]selector{{metric: "a"}, {metric: "b"}}, []string{"fabric", "instance"}},
		{`min by (i) ((r / l) and (t > time())) < 0.1 and on (i) group_left (x) y offset 5m unless bool 1e3`,
			[]selector{{metric: "r"}, {metric: "l"}, {metric: "t"}, {metric: "y"}}, []string{"i", "i", "x"}},
	}
	for _, tt := range tests {
		got, err := selectors(tt.query)
		if err != nil {
			t.Errorf("%q: %v", tt.query, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("selectors(%q) = %v, want %v", tt.query, got, tt.want)
		}
		if g := groupingLabels(tt.query); !slices.Equal(g, tt.grouping) {
			t.Errorf("groupingLabels(%q) = %v, want %v", tt.query, g, tt.grouping)
		}
	}
	for _, bad := range []string{`x{a="b"`, `x{a="b}`, `{__name__="x"}`, `x[5m`} {
		if _, err := selectors(bad); err == nil {
			t.Errorf("selectors(%q) accepted a malformed query", bad)
		}
	}
}
