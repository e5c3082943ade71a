package lambdainvoke

import (
	"strings"
	"testing"
)

func TestCheckOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		key  Key
		want string // "option: message start" lines, sorted as reported
	}{
		{Key{}, ""},
		{Key{Region: "eu-west-1", Endpoint: "http://127.0.0.1:9001", RoleARN: "arn:aws:iam::123456789012:role/r", ExternalID: "x", SessionName: "s"}, ""},
		{Key{Region: "Mars"}, `region: "Mars" is not an AWS region name`},
		{Key{Endpoint: "ftp://x"}, `endpoint: "ftp://x" is not an endpoint URL`},
		{Key{RoleARN: "arn:aws:s3:::bucket"}, `assume_role_arn: "arn:aws:s3:::bucket" is not an IAM role ARN`},
		{Key{ExternalID: "x", SessionName: "s"}, "external_id: only applies with assume_role_arn\nrole_session_name: only applies with assume_role_arn"},
	} {
		var got []string
		c.key.CheckOptions(func(option, msg string) { got = append(got, option+": "+msg) })
		lines := strings.Split(c.want, "\n")
		if c.want == "" {
			lines = nil
		}
		if len(got) != len(lines) {
			t.Errorf("%+v: %q, want %q", c.key, got, lines)
			continue
		}
		for i := range lines {
			if !strings.HasPrefix(got[i], lines[i]) {
				t.Errorf("%+v: %q, want it to start %q", c.key, got[i], lines[i])
			}
		}
	}
}

func TestOrLocal(t *testing.T) {
	t.Parallel()
	own := Key{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1"}
	if got := own.OrLocal("http://127.0.0.1:9001"); got != own {
		t.Errorf("a Key with its own endpoint became %+v", got)
	}
	if got := (Key{Region: "eu-west-1", Profile: "p"}).OrLocal("http://127.0.0.1:9001"); got != (Key{Endpoint: "http://127.0.0.1:9001", Local: true}) {
		t.Errorf("OrLocal = %+v, want the local runtime's Key", got)
	}
	if got := (Key{Region: "eu-west-1"}).OrLocal(""); got != (Key{Region: "eu-west-1"}) {
		t.Errorf("without a local runtime: %+v", got)
	}
	for field, want := range map[string]string{FieldRegion: OptionRegion, FieldEndpoint: OptionEndpoint, FieldProfile: OptionProfile, "": ""} {
		if got := OptionOf(field); got != want {
			t.Errorf("OptionOf(%q) = %q, want %q", field, got, want)
		}
	}
}
