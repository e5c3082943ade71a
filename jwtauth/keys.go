package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// FetchTimeout bounds one fetch of a JWK set, connection and TLS
// handshake included. A request waiting for keys waits no longer (nor
// longer than its endpoint's timeout).
const FetchTimeout = 5 * time.Second

// KeySets holds the key sets of one gateway: one per jwk_url, fetched
// when a token first needs it and shared by every endpoint naming the
// URL, and one per jwk_local_path file, read at start-up. It is built with
// the gateway and closed with it (Close stops fetches in flight), so that
// a gateway built again, on reload, has sets of its own.
type KeySets struct {
	logger    *slog.Logger
	userAgent string
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu     sync.Mutex
	remote map[string]*remoteSet
	local  map[string]*localSet
	closed bool
}

// NewKeySets returns an empty KeySets. userAgent is sent with every
// fetch.
func NewKeySets(logger *slog.Logger, userAgent string) *KeySets {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &KeySets{
		logger: logger, userAgent: userAgent, ctx: ctx, cancel: cancel,
		remote: map[string]*remoteSet{}, local: map[string]*localSet{},
	}
}

// Close stops the fetches in flight, waits for them and closes the
// fetching clients' idle connections. Validators using the sets must not
// be called after it.
func (k *KeySets) Close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.cancel()
	k.wg.Wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range k.remote {
		s.client.CloseIdleConnections()
	}
}

// source is where a validator finds keys.
type source interface {
	// current returns the keys known now, nil when none were fetched yet.
	current() *keySet
	// key returns the key for q and the set holding it, fetching the set
	// again when it lacks the key (at most once per cooldown); it waits at
	// most until wait.
	key(ctx context.Context, q keyQuery, wait time.Duration) (*key, *keySet, error)
}

// forRemote returns the shared set of spec.url. Endpoints sharing a URL
// must agree on how to reach it; the set's keys expire after the shortest
// ttl asked for, and it fetches again after the shortest cooldown.
func (k *KeySets) forRemote(spec remoteSpec) (*remoteSet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.remote[spec.url]; ok {
		if !s.spec.client.equal(spec.client) {
			return nil, fmt.Errorf("another endpoint fetches %s with other settings (jwk_local_ca, jwk_fingerprints, cipher_suites, disable_jwk_security): the endpoints share one key set per jwk_url, give them the same settings", spec.url)
		}
		if spec.ttl > 0 && (s.spec.ttl == 0 || spec.ttl < s.spec.ttl) {
			s.spec.ttl = spec.ttl
		}
		s.spec.cooldown = min(s.spec.cooldown, spec.cooldown)
		return s, nil
	}
	spec.userAgent = k.userAgent
	s := &remoteSet{spec: spec, client: newClient(spec.client), sets: k}
	k.remote[spec.url] = s
	return s, nil
}

// forLocal returns the set read from the file at path, read once.
func (k *KeySets) forLocal(path string) (*localSet, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.local[abs]; ok {
		return s, nil
	}
	data, err := ReadKeySetFile(path)
	if err != nil {
		return nil, err
	}
	ks, skipped, err := parseKeySet(data)
	if err != nil {
		return nil, err
	}
	if len(ks.keys) == 0 {
		return nil, fmt.Errorf("the JWK set has no key lambdagate can use (%d skipped)", skipped)
	}
	if skipped > 0 {
		k.logger.Warn("JWK set: keys skipped", "file", path, "skipped", skipped)
	}
	ks.fetched = time.Now()
	s := &localSet{keys: ks}
	k.local[abs] = s
	return s, nil
}

// localSet is a key set read from a file: never refreshed.
type localSet struct{ keys *keySet }

func (s *localSet) current() *keySet { return s.keys }

func (s *localSet) key(_ context.Context, q keyQuery, _ time.Duration) (*key, *keySet, error) {
	k, err := s.keys.find(q)
	return k, s.keys, err
}

// errNoKeys says a remote set could not be had in time.
var errNoKeys = errors.New("the JWK set could not be fetched")

// remoteSet is the key set of one jwk_url.
type remoteSet struct {
	spec   remoteSpec
	client *http.Client
	sets   *KeySets
	keys   atomic.Pointer[keySet]

	mu sync.Mutex
	// inflight is closed when the fetch under way ends; nil when none is.
	inflight chan struct{}
	// started is when the last fetch started.
	started time.Time
}

// current returns the keys and, when they are older than the ttl, starts
// fetching them again in the background: the stale keys serve meanwhile.
func (s *remoteSet) current() *keySet {
	ks := s.keys.Load()
	if ks != nil && s.spec.ttl > 0 && time.Since(ks.fetched) > s.spec.ttl {
		s.refresh()
	}
	return ks
}

func (s *remoteSet) key(ctx context.Context, q keyQuery, wait time.Duration) (*key, *keySet, error) {
	if ks := s.current(); ks != nil {
		k, err := ks.find(q)
		if k != nil {
			return k, ks, nil
		}
		if err == errAmbiguousKey {
			return nil, ks, err
		}
	}
	// The set lacks the key (rotated keys, or a forged kid) or was never
	// fetched: fetch it again, unless one was started within the cooldown.
	done := s.refresh()
	if done == nil {
		if ks := s.keys.Load(); ks != nil {
			return nil, ks, errUnknownKey
		}
		return nil, nil, errNoKeys
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		return nil, nil, errNoKeys
	case <-ctx.Done():
		return nil, nil, errNoKeys
	}
	ks := s.keys.Load()
	if ks == nil {
		return nil, nil, errNoKeys
	}
	k, err := ks.find(q)
	return k, ks, err
}

// refresh starts a fetch unless one is under way (whose channel it
// returns) or one started within the cooldown (it returns nil).
func (s *remoteSet) refresh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight != nil {
		return s.inflight
	}
	if !s.started.IsZero() && time.Since(s.started) < s.spec.cooldown {
		return nil
	}
	s.sets.mu.Lock()
	closed := s.sets.closed
	if !closed {
		s.sets.wg.Add(1)
	}
	s.sets.mu.Unlock()
	if closed {
		return nil
	}
	s.started = time.Now()
	done := make(chan struct{})
	s.inflight = done
	go func() {
		defer s.sets.wg.Done()
		s.fetch()
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	return done
}

// fetch gets the set once; on any failure the keys known so far stay.
func (s *remoteSet) fetch() {
	ctx, cancel := context.WithTimeout(s.sets.ctx, FetchTimeout)
	defer cancel()
	ks, skipped, err := s.get(ctx)
	logger := s.sets.logger
	if err != nil {
		if s.sets.ctx.Err() == nil {
			logger.Warn("fetching the JWK set failed; the keys fetched before, if any, stay in use", "jwk_url", s.spec.url, "error", err.Error())
		}
		return
	}
	if skipped > 0 {
		logger.Warn("JWK set: keys skipped", "jwk_url", s.spec.url, "skipped", skipped)
	}
	if old := s.keys.Load(); old != nil && old.digest == ks.digest {
		ks.verified = old.verified
	}
	ks.fetched = time.Now()
	s.keys.Store(ks)
	logger.Debug("JWK set fetched", "jwk_url", s.spec.url, "keys", len(ks.keys))
}

func (s *remoteSet) get(ctx context.Context) (*keySet, int, error) {
	data, err := fetchDocument(ctx, s.client, s.spec.url, s.spec.userAgent)
	if err != nil {
		return nil, 0, err
	}
	ks, skipped, err := parseKeySet(data)
	if err != nil {
		return nil, 0, err
	}
	if len(ks.keys) == 0 {
		return nil, skipped, fmt.Errorf("the JWK set has no key lambdagate can use (%d skipped)", skipped)
	}
	return ks, skipped, nil
}

// ReadKeySetFile reads a JWK set document from a file, at most 1 MiB: the
// bound every JWK set lambdagate reads has.
func ReadKeySetFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the JWK set: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the JWK set: %v", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("the JWK set is larger than %d bytes", maxJWKSBytes)
	}
	return data, nil
}
