package lambdainvoke

import (
	"fmt"

	"github.com/aws/smithy-go"
)

// APIError is an error answer of the Lambda Invoke API itself (the function
// did not run, or its result could not be returned). It implements the
// smithy.APIError interface and HTTPStatusCode, so the AWS SDK's retry rules
// classify it exactly as they classify the SDK's own errors.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is Lambda's error code, such as TooManyRequestsException.
	Code string
	// Message is Lambda's message.
	Message string
	// RetryAfter is Lambda's Retry-After header, when it sent one.
	RetryAfter string
	// RequestID is Lambda's request id, for support.
	RequestID string
}

// Error names the code, status and message.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = "error"
	}
	if e.Message == "" {
		return fmt.Sprintf("lambda API %s (HTTP %d)", code, e.StatusCode)
	}
	return fmt.Sprintf("lambda API %s (HTTP %d): %s", code, e.StatusCode, e.Message)
}

// ErrorCode returns Lambda's error code (smithy.APIError).
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage returns Lambda's message (smithy.APIError).
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault says whether the client or the service is at fault
// (smithy.APIError).
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.StatusCode >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode returns the HTTP status, for the SDK's retry rules.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

var _ smithy.APIError = (*APIError)(nil)

// CredentialChain names the places the AWS SDK's default chain looks for
// credentials, in its order.
const CredentialChain = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), shared config and credentials files (AWS_PROFILE, ~/.aws/config, ~/.aws/credentials: keys, SSO, credential_process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN), the container endpoint (AWS_CONTAINER_CREDENTIALS_*), EC2 instance metadata (unless AWS_EC2_METADATA_DISABLED)"

// CredentialsError reports that no usable AWS credentials could be had. Its
// text is the SDK's, which never holds a secret.
type CredentialsError struct {
	// Err is the SDK's error.
	Err error
}

// Error says credentials are missing and where they are looked for.
func (e *CredentialsError) Error() string {
	return "no usable AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role): " + e.Err.Error()
}

// Unwrap returns the SDK's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// ConfigError is a Key that New cannot build a Client from.
type ConfigError struct {
	// Field is the Key field at fault (FieldRegion, FieldEndpoint,
	// FieldProfile), or "" when it is no single field (the environment,
	// such as AWS_CA_BUNDLE, or the AWS configuration as a whole).
	Field string
	// Msg says what is wrong and how to put it right.
	Msg string
}

// The fields a ConfigError may name.
const (
	FieldRegion   = "Region"
	FieldEndpoint = "Endpoint"
	FieldProfile  = "Profile"
)

// Error returns Msg.
func (e *ConfigError) Error() string { return e.Msg }
