package lambdainvoke

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// The names gateway files give the settings a Key is made of, in every
// namespace that invokes functions (backend/lambda, lambdagate/authorizer).
const (
	OptionRegion      = "region"
	OptionEndpoint    = "endpoint"
	OptionProfile     = "profile"
	OptionRoleARN     = "assume_role_arn"
	OptionExternalID  = "external_id"
	OptionSessionName = "role_session_name"
)

// CheckOptions checks the settings of k as a gateway file writes them,
// before any client is built: the region's and endpoint's form, the role
// ARN's, and the role's options without a role. It tells problem of each
// one wrong, with the option's name (Option*).
func (k Key) CheckOptions(problem func(option, msg string)) {
	if k.Endpoint != "" {
		if err := CheckEndpoint(k.Endpoint); err != nil {
			problem(OptionEndpoint, err.Error())
		}
	}
	if k.Region != "" && !lambdaapi.ValidRegion(k.Region) {
		problem(OptionRegion, fmt.Sprintf("%q is not an AWS region name such as us-east-1", k.Region))
	}
	if k.RoleARN != "" {
		a, err := arn.Parse(k.RoleARN)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			problem(OptionRoleARN, fmt.Sprintf("%q is not an IAM role ARN such as arn:aws:iam::123456789012:role/name", k.RoleARN))
		}
		return
	}
	const noRole = "only applies with " + OptionRoleARN + ": set the role to assume, or remove it"
	if k.ExternalID != "" {
		problem(OptionExternalID, noRole)
	}
	if k.SessionName != "" {
		problem(OptionSessionName, noRole)
	}
}

// OrLocal returns the Key of the local runtime at localURL when localURL
// is set and k names no endpoint of its own, else k.
func (k Key) OrLocal(localURL string) Key {
	if localURL != "" && k.Endpoint == "" {
		return Key{Endpoint: localURL, Local: true}
	}
	return k
}

// OptionOf returns the option a ConfigError's Field names (OptionRegion,
// OptionEndpoint, OptionProfile), "" when it names none.
func OptionOf(field string) string {
	switch field {
	case FieldRegion:
		return OptionRegion
	case FieldEndpoint:
		return OptionEndpoint
	case FieldProfile:
		return OptionProfile
	}
	return ""
}
