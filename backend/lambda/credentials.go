package lambda

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

	"github.com/lambdagate/lambdagate/config"
)

// localRegion is the region used to sign requests to a local runtime, and
// to a custom endpoint when no region is configured anywhere.
const localRegion = "us-east-1"

// dummyCredentials sign requests to local runtimes, which check nothing.
var dummyCredentials = credentials.NewStaticCredentialsProvider("lambdagate-local", "lambdagate-local", "")

// errorPaths are the JSON paths of the options buildInvoker may reject.
type errorPaths struct {
	base, region, endpoint, profile, role string
}

// credentialProbeTimeout bounds the look for credentials when a custom
// endpoint is used without profile or role.
const credentialProbeTimeout = 3 * time.Second

// buildInvoker resolves region, endpoint and credentials with the AWS SDK
// (its shared config, credential chain and endpoint rules) and returns a
// lean signed invoker for them. Problems are config errors at their path.
func buildInvoker(ctx context.Context, key invokerKey, paths errorPaths, logger *slog.Logger) (*sharedInvoker, error) {
	endpoint := key.endpoint
	if endpoint == "" {
		endpoint = "https://lambda." + key.region + ".amazonaws.com"
	}
	client, err := newSender(endpoint)
	if err != nil {
		return nil, &config.Error{Path: paths.base, Msg: err.Error()}
	}
	if key.local {
		return &sharedInvoker{signedInvoker: newSignedInvoker(key.endpoint, localRegion, dummyCredentials, client)}, nil
	}

	var loadOpts []func(*awsconfig.LoadOptions) error
	if key.region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(key.region))
	}
	if key.profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(key.profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		path := paths.base
		if key.profile != "" {
			path = paths.profile
		}
		return nil, &config.Error{Path: path, Msg: fmt.Sprintf("loading the AWS configuration failed: %v (check AWS_PROFILE, ~/.aws/config and AWS_CA_BUNDLE)", err)}
	}
	if cfg.Region == "" {
		if key.endpoint == "" {
			return nil, &config.Error{Path: paths.region, Msg: "no AWS region: set \"region\" here, or AWS_REGION / AWS_DEFAULT_REGION, or a region in the AWS profile"}
		}
		cfg.Region = localRegion
	}

	creds := cfg.Credentials
	if key.roleARN != "" {
		stsClient := sts.NewFromConfig(cfg)
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, key.roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = key.sessionName
			if key.externalID != "" {
				o.ExternalID = aws.String(key.externalID)
			}
		}))
	} else if key.endpoint != "" && key.profile == "" {
		// A custom endpoint (LocalStack, the emulator) usually checks no
		// signature: use real credentials when there are some, else dummy
		// ones, so that such setups need no AWS configuration.
		creds = probeCredentials(creds, key.endpoint, logger)
	}
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}

	// The SDK's client options resolve the service endpoint the way the SDK
	// does (AWS_ENDPOINT_URL_LAMBDA, FIPS and dual-stack settings, the
	// partition rules); the lean invoker then reuses the result.
	lc := awslambda.NewFromConfig(cfg, func(o *awslambda.Options) {
		if key.endpoint != "" {
			o.BaseEndpoint = aws.String(key.endpoint)
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
		path := paths.region
		if key.endpoint != "" {
			path = paths.endpoint
		}
		return nil, &config.Error{Path: path, Msg: fmt.Sprintf("no Lambda endpoint for region %q: %v", opts.Region, err)}
	}
	inv := newSignedInvoker(ep.URI.String(), opts.Region, creds, client)
	return &sharedInvoker{signedInvoker: inv, sdkMaxAttempts: cfg.RetryMaxAttempts}, nil
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
