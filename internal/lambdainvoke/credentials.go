package lambdainvoke

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// localRegion is the region used to sign requests to a local runtime, and
// to a custom endpoint when no region is configured anywhere.
const localRegion = "us-east-1"

// dummyCredentials sign requests to local runtimes, which check nothing.
var dummyCredentials = credentials.NewStaticCredentialsProvider("lambdagate-local", "lambdagate-local", "")

// credentialProbeTimeout bounds the look for credentials when a custom
// endpoint is used without profile or role.
const credentialProbeTimeout = 3 * time.Second

// New resolves key's region, endpoint and credentials with the AWS SDK
// (its shared config, credential chain and endpoint rules) and returns a
// Client for them. Its errors are *ConfigError values naming the Key field
// at fault. Credentials are fetched on first use, not here. logger, when
// not nil, is told when a custom endpoint gets dummy credentials.
func New(ctx context.Context, key Key, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	key = key.normalized()
	endpoint := key.Endpoint
	if endpoint == "" {
		endpoint = "https://lambda." + key.Region + ".amazonaws.com"
	}
	snd, err := newSender(endpoint)
	if err != nil {
		return nil, &ConfigError{Msg: err.Error()}
	}
	if key.Local {
		return newClient(key.Endpoint, localRegion, dummyCredentials, snd), nil
	}

	var loadOpts []func(*awsconfig.LoadOptions) error
	if key.Region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(key.Region))
	}
	if key.Profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(key.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		field := ""
		if key.Profile != "" {
			field = FieldProfile
		}
		return nil, &ConfigError{Field: field, Msg: fmt.Sprintf("loading the AWS configuration failed: %v (check AWS_PROFILE, ~/.aws/config and AWS_CA_BUNDLE)", err)}
	}
	if cfg.Region == "" {
		if key.Endpoint == "" {
			return nil, &ConfigError{Field: FieldRegion, Msg: "no AWS region: set \"region\" here, or AWS_REGION / AWS_DEFAULT_REGION, or a region in the AWS profile"}
		}
		cfg.Region = localRegion
	}

	creds := cfg.Credentials
	if key.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg)
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, key.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = key.SessionName
			if key.ExternalID != "" {
				o.ExternalID = aws.String(key.ExternalID)
			}
		}))
	} else if key.Endpoint != "" && key.Profile == "" {
		// A custom endpoint (LocalStack, the emulator) usually checks no
		// signature: use real credentials when there are some, else dummy
		// ones, so that such setups need no AWS configuration.
		creds = probeCredentials(creds, key.Endpoint, logger)
	}
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}

	// The SDK's client options resolve the service endpoint the way the SDK
	// does (AWS_ENDPOINT_URL_LAMBDA, FIPS and dual-stack settings, the
	// partition rules); the Client then reuses the result.
	lc := awslambda.NewFromConfig(cfg, func(o *awslambda.Options) {
		if key.Endpoint != "" {
			o.BaseEndpoint = aws.String(key.Endpoint)
		}
	})
	opts := lc.Options()
	params := awslambda.EndpointParameters{
		Region:       aws.String(opts.Region),
		Endpoint:     opts.BaseEndpoint,
		UseDualStack: aws.Bool(opts.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		UseFIPS:      aws.Bool(opts.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
	}
	ep, err := opts.EndpointResolverV2.ResolveEndpoint(ctx, params)
	if err != nil {
		field := FieldRegion
		if key.Endpoint != "" {
			field = FieldEndpoint
		}
		return nil, &ConfigError{Field: field, Msg: fmt.Sprintf("no Lambda endpoint for region %q: %v", opts.Region, err)}
	}
	c := newClient(ep.URI.String(), opts.Region, creds, snd)
	c.sdkMaxAttempts = cfg.RetryMaxAttempts
	return c, nil
}

// fallbackCredentials uses creds when, at the first invocation, they
// yield credentials, and dummy ones otherwise. The look happens on first
// use, not at start-up, so that `check` never waits on the credential chain.
type fallbackCredentials struct {
	primary  aws.CredentialsProvider
	endpoint string
	logger   *slog.Logger
	once     sync.Once
	use      aws.CredentialsProvider
}

func probeCredentials(creds aws.CredentialsProvider, endpoint string, logger *slog.Logger) aws.CredentialsProvider {
	if creds == nil {
		return dummyCredentials
	}
	return &fallbackCredentials{primary: creds, endpoint: endpoint, logger: logger}
}

// Retrieve returns the chosen provider's credentials.
func (f *fallbackCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	f.once.Do(func() {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), credentialProbeTimeout)
		defer cancel()
		f.use = f.primary
		if _, err := f.primary.Retrieve(pctx); err != nil {
			f.logger.Info("lambda: no AWS credentials found; requests to the custom endpoint are signed with dummy credentials", "endpoint", f.endpoint)
			f.use = dummyCredentials
		}
	})
	return f.use.Retrieve(ctx)
}
