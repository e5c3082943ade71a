package lambdainvoke

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/internal/invoketest"
)

// TestRegion: with a region and no endpoint, the SDK's rules choose
// Lambda's endpoint (nothing is sent in this test); with neither, New
// names the region.
func TestRegion(t *testing.T) {
	t.Parallel()
	c, err := New(context.Background(), Key{Region: "eu-central-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://lambda.eu-central-1.amazonaws.com" || c.region != "eu-central-1" {
		t.Errorf("endpoint %q region %q", c.base, c.region)
	}
	_, err = New(context.Background(), Key{}, nil)
	wantConfigError(t, err, FieldRegion, "no AWS region")
}

// TestClients: Keys meaning the same client (a trailing slash, the default
// session name written out) share one; any other difference builds
// another.
func TestClients(t *testing.T) {
	t.Parallel()
	var cs Clients
	defer cs.CloseIdle()
	get := func(k Key) *Client {
		t.Helper()
		c, err := cs.Get(context.Background(), k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const role = "arn:aws:iam::123456789012:role/r"
	base := get(Key{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1", RoleARN: role})
	if get(Key{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1/", RoleARN: role, SessionName: DefaultRoleSessionName}) != base {
		t.Error("the same settings built a second client")
	}
	for _, k := range []Key{
		{Region: "eu-west-2", Endpoint: "http://127.0.0.1:1", RoleARN: role},
		{Region: "eu-west-1", Endpoint: "http://127.0.0.1:2", RoleARN: role},
		{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1", RoleARN: role, SessionName: "other"},
		{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1", RoleARN: role, ExternalID: "x"},
		{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1"},
		{Endpoint: "http://127.0.0.1:1", Local: true},
	} {
		if get(k) == base {
			t.Errorf("%+v shares the client of other settings", k)
		}
	}
	if _, err := cs.Get(context.Background(), Key{}, nil); err == nil {
		t.Error("a key New refuses got a client")
	}
}

// wantConfigError checks that err is a *ConfigError naming field, whose
// message holds fragment.
func wantConfigError(t *testing.T, err error, field, fragment string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != field || !strings.Contains(ce.Error(), fragment) {
		t.Fatalf("want a ConfigError naming %q with %q, got %T %v", field, fragment, err, err)
	}
}

// TestNewErrors checks the field each problem New finds is blamed on.
func TestNewErrors(t *testing.T) {
	// Not parallel: it changes the environment.
	_, err := New(context.Background(), Key{Region: "eu-west-1", Profile: "nosuchprofile"}, nil)
	wantConfigError(t, err, FieldProfile, "nosuchprofile")
	_, err = New(context.Background(), Key{Region: "a b"}, nil)
	wantConfigError(t, err, FieldRegion, `no Lambda endpoint for region "a b"`)

	t.Setenv("AWS_USE_FIPS_ENDPOINT", "true")
	_, err = New(context.Background(), Key{Endpoint: "http://127.0.0.1:1"}, nil)
	wantConfigError(t, err, FieldEndpoint, "FIPS and custom endpoint are not supported")
	t.Setenv("AWS_USE_FIPS_ENDPOINT", "")

	t.Setenv("AWS_CA_BUNDLE", t.TempDir()+"/missing.pem")
	_, err = New(context.Background(), Key{Region: "eu-west-1"}, nil)
	wantConfigError(t, err, "", "AWS_CA_BUNDLE")
}

// TestMissingCredentials: a profile without keys fails the invocation
// with a CredentialsError before anything is sent, and no secret reaches
// its text.
func TestMissingCredentials(t *testing.T) {
	// Not parallel: it changes the environment.
	dir := t.TempDir()
	cfgFile := dir + "/config"
	if err := writeFile(cfgFile, "[profile nokeys]\nregion = eu-west-1\n"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	c, f := startClient(t, Key{Profile: "nokeys"}, invoketest.JSON(`{}`))
	_, err := c.Invoke(ctxT(t), invocation("fn"))
	var ce *CredentialsError
	if !errors.As(err, &ce) || f.Requests() != 0 {
		t.Fatalf("attempts %d err %v", f.Requests(), err)
	}
	if strings.Contains(err.Error(), invoketest.SecretKey) {
		t.Fatal("a secret reached an error")
	}
}

// TestProfileCredentials checks that a profile signs with that profile's
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
	c, f := startClient(t, Key{Profile: "marker", Region: "eu-west-2"}, invoketest.JSON(`{"ok":true}`))
	res, err := c.Invoke(ctxT(t), invocation("fn"))
	if err != nil || string(res.Payload) != `{"ok":true}` {
		t.Fatalf("res %+v err %v", res, err)
	}
	invoketest.CheckSignature(t, f.Last(t), hostOf(f), "eu-west-2", "AKIDPROFILEMARKER", "profile-marker-secret")
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

// TestAssumeRole checks that the role, its external id and session name
// reach STS, and that invocations are signed with the
// role's temporary credentials (session token included).
func TestAssumeRole(t *testing.T) {
	// Not parallel: it changes the environment.
	sts := newFakeSTS(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	tests := []struct {
		name            string
		key             Key
		wantSession     string
		wantExternalID  string
		wantExternalSet bool
	}{
		{"with external id and session name", Key{ExternalID: "ext-42", SessionName: "sess-1"}, "sess-1", "ext-42", true},
		{"default session name", Key{}, DefaultRoleSessionName, "", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := "arn:aws:iam::123456789012:role/invoker" + strings.Repeat("x", i)
			key := tt.key
			key.Region, key.RoleARN = "eu-west-1", role
			c, f := startClient(t, key, invoketest.JSON(`{"ok":true}`))
			if _, err := c.Invoke(ctxT(t), invocation("fn")); err != nil {
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
			call := f.Last(t)
			if got := call.Header.Get("X-Amz-Security-Token"); got != "role-marker-token" {
				t.Errorf("X-Amz-Security-Token = %q, want the role's session token", got)
			}
			invoketest.CheckSignature(t, call, hostOf(f), "eu-west-1", "ASIAROLEMARKER", "role-marker-secret")
		})
	}
}
