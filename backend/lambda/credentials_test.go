package lambda

import (
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestProfileCredentials checks that `profile` signs with that profile's
// keys from the shared credentials file, not the environment's.
func TestProfileCredentials(t *testing.T) {
	// Not parallel: it changes the environment.
	dir := t.TempDir()
	creds := dir + "/credentials"
	if err := writeFile(creds, "[marker]\naws_access_key_id = AKIDPROFILEMARKER\naws_secret_access_key = profile-marker-secret\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/config", ""); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	f := invoketest.Start(t, invoketest.JSON(`{"ok":true}`))
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "profile": "marker", "region": "eu-west-2", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil || resp.Data["ok"] != true {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	invoketest.CheckSignature(t, f.Last(t), strings.TrimPrefix(f.URL, "http://"), "eu-west-2", "AKIDPROFILEMARKER", "profile-marker-secret")
}

// fakeSTS answers AssumeRole with fixed temporary credentials and records
// the requests' form values.
type fakeSTS struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func newFakeSTS(t *testing.T) *fakeSTS {
	s := &fakeSTS{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s.mu.Lock()
		s.forms = append(s.forms, r.PostForm)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAROLEMARKER</AccessKeyId>
      <SecretAccessKey>role-marker-secret</SecretAccessKey>
      <SessionToken>role-marker-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/invoker/sess-1</Arn>
      <AssumedRoleId>AROAEXAMPLE:sess-1</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>4d1c3a5e-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</AssumeRoleResponse>`))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestAssumeRole checks that assume_role_arn, external_id and
// role_session_name reach STS, and that invocations are signed with the
// role's temporary credentials (session token included).
func TestAssumeRole(t *testing.T) {
	// Not parallel: it changes the environment.
	sts := newFakeSTS(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	tests := []struct {
		name, options   string
		wantSession     string
		wantExternalID  string
		wantExternalSet bool
	}{
		{"with external id and session name", `"external_id": "ext-42", "role_session_name": "sess-1"`, "sess-1", "ext-42", true},
		{"default session name", `"max_retries": 0`, DefaultRoleSessionName, "", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := invoketest.Start(t, invoketest.JSON(`{"ok":true}`))
			role := "arn:aws:iam::123456789012:role/invoker" + strings.Repeat("x", i)
			p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "region": "eu-west-1", "endpoint": "` + f.URL + `",
				"assume_role_arn": "` + role + `", ` + tt.options + `}`})
			if _, err := p(ctxT(t), getReq(nil)); err != nil {
				t.Fatal(err)
			}
			sts.mu.Lock()
			form := sts.forms[len(sts.forms)-1]
			sts.mu.Unlock()
			if form.Get("Action") != "AssumeRole" || form.Get("RoleArn") != role || form.Get("RoleSessionName") != tt.wantSession {
				t.Errorf("STS got %v", form)
			}
			if _, set := form["ExternalId"]; set != tt.wantExternalSet || form.Get("ExternalId") != tt.wantExternalID {
				t.Errorf("ExternalId = %q (set %v), want %q", form.Get("ExternalId"), set, tt.wantExternalID)
			}
			c := f.Last(t)
			if got := c.Header.Get("X-Amz-Security-Token"); got != "role-marker-token" {
				t.Errorf("X-Amz-Security-Token = %q, want the role's session token", got)
			}
			invoketest.CheckSignature(t, c, strings.TrimPrefix(f.URL, "http://"), "eu-west-1", "ASIAROLEMARKER", "role-marker-secret")
		})
	}
}
