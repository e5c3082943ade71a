package proxy

import "context"

// claimsKey is the context key of a request's validated JWT claims.
type claimsKey struct{}

// WithClaims returns ctx carrying the validated claims of the request's
// JWT, for the endpoint to put in Request.Claims.
func WithClaims(ctx context.Context, claims map[string]any) context.Context {
	return context.WithValue(ctx, claimsKey{}, claims)
}

// ClaimsFrom returns the claims WithClaims put in ctx, nil for none.
func ClaimsFrom(ctx context.Context) map[string]any {
	claims, _ := ctx.Value(claimsKey{}).(map[string]any)
	return claims
}
