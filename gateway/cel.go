package gateway

import (
	"log/slog"
	"net/http"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/jwtauth"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/validation/cel"
)

// claimsChecks returns h behind the endpoint's validation/cel token checks
// (expressions reading JWT): a token whose claims fail one gets 401, as
// KrakenD's JWT rejecter answers. They need the endpoint's auth/validator,
// which runs before them; h itself when there are none.
func claimsChecks(e *config.Endpoint, checks *cel.Set, logger *slog.Logger, h router.Handler) (router.Handler, error) {
	check := checks.ClaimsCheck(logger)
	if check == nil {
		return h, nil
	}
	if !e.ExtraConfig.Has(jwtauth.Namespace) && !e.ExtraConfig.Has(jwtauth.LegacyNamespace) {
		return nil, &config.Error{Path: checks.JWT[0].Path, Msg: "reads JWT, but the endpoint validates no token: add an auth/validator to the endpoint (KrakenD would never evaluate this check)"}
	}
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		if !check(r.Context(), proxy.ClaimsFrom(r.Context())) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r, params)
	}, nil
}
