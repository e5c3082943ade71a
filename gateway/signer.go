package gateway

import (
	"log/slog"

	"github.com/lambdagate/lambdagate/auth/signer"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/render"
)

// newSigner returns the endpoint's auth/signer, nil when it has none.
// Its jwk_url client closes with the gateway (through closers).
func newSigner(e *config.Endpoint, logger *slog.Logger, userAgent string, warn func(string), closers *[]func()) (*signer.Signer, error) {
	o, path, err := signer.Decode(&e.ExtraConfig)
	if err != nil || o == nil {
		return nil, err
	}
	if e.OutputEncoding == render.NoOp {
		return nil, &config.Error{Path: path, Msg: "needs the response's data to sign fields in it: the endpoint's output_encoding no-op passes bytes; use json (the default)"}
	}
	s, err := signer.New(o, path, signer.Deps{Logger: logger, UserAgent: userAgent, Warn: warn})
	if err != nil {
		return nil, err
	}
	*closers = append(*closers, s.Close)
	return s, nil
}
