package config

import (
	"reflect"
	"testing"
)

func TestGroupWarnings(t *testing.T) {
	t.Parallel()
	ignored := "not supported by lambdagate, ignored (KrakenD ignores it too)"
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "none", in: nil, want: []string{}},
		{name: "once stays as it is", in: []string{"endpoints[2].backend[0].timeout: " + ignored, "version 2: upgrade"},
			want: []string{"endpoints[2].backend[0].timeout: " + ignored, "version 2: upgrade"}},
		{name: "one line per option, a count and the first paths",
			in: []string{
				"endpoints[0].backend[0].timeout: " + ignored,
				"endpoints[0].concurrent_calls: concurrent calls are not made",
				"endpoints[1].backend[0].timeout: " + ignored,
				"endpoints[1].backend[1].timeout: " + ignored,
				"endpoints[9].backend[0].timeout: " + ignored,
				"endpoints[3].concurrent_calls: concurrent calls are not made",
			},
			want: []string{
				"endpoints[*].backend[*].timeout: " + ignored + " (4 places: endpoints[0].backend[0].timeout, endpoints[1].backend[0].timeout, endpoints[1].backend[1].timeout, …)",
				"endpoints[*].concurrent_calls: concurrent calls are not made (2 places: endpoints[0].concurrent_calls, endpoints[3].concurrent_calls)",
			}},
		{name: "different messages stay apart",
			in:   []string{"endpoints[0].x: a", "endpoints[1].x: b"},
			want: []string{"endpoints[0].x: a", "endpoints[1].x: b"}},
	}
	for _, c := range cases {
		if got := GroupWarnings(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
