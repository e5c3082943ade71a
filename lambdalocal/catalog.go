package lambdalocal

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// catalog is the set of functions the runtime serves: replaced whole by
// Rescan, read without a lock by every invocation.
type catalog struct {
	names []string         // sorted
	pools map[string]*pool // by function name; pool.fn is the function
}

// pool returns the pool of the function called name, or nil.
func (c *catalog) pool(name string) *pool { return c.pools[name] }

// Changes says what a Rescan changed, each list sorted by name.
type Changes struct {
	Added, Removed, Changed []string
}

// Empty reports whether the rescan changed nothing.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// Rescan reads the functions folder again and serves what it holds now:
// new function folders are added, removed ones stop being served, and a
// function whose folder or function.json changed (a file's name, size or
// modification time; for Go, the content the build hashes) gets a new
// pool, so that its next invocation starts a process with the new code.
// Invocations in progress finish on the processes that run them, which are
// stopped afterwards instead of being kept warm. Unchanged functions keep
// their warm processes.
//
// A folder that cannot be run is an error naming it, and then nothing
// changes: the runtime keeps serving what it served. One Rescan runs at a
// time; ctx bounds the Go builds.
func (s *Server) Rescan(ctx context.Context) (Changes, error) {
	s.rescanMu.Lock()
	defer s.rescanMu.Unlock()
	fns, err := discoverFunctions(s.dir)
	if err != nil {
		return Changes{}, err
	}
	old := s.cat.Load()
	next := &catalog{pools: make(map[string]*pool, len(fns))}
	var ch Changes
	for _, fn := range fns {
		if err := s.prepare(ctx, fn); err != nil {
			return Changes{}, err
		}
		if p := old.pool(fn.name); p != nil && p.fn.fingerprint == fn.fingerprint {
			next.pools[fn.name] = p
		} else {
			next.pools[fn.name] = newPool(s, fn)
			if p != nil {
				ch.Changed = append(ch.Changed, fn.name)
			} else {
				ch.Added = append(ch.Added, fn.name)
			}
		}
		next.names = append(next.names, fn.name)
	}
	slices.Sort(next.names)
	var retired []*pool
	for name, p := range old.pools {
		if q := next.pools[name]; q != p {
			retired = append(retired, p)
			if q == nil {
				ch.Removed = append(ch.Removed, name)
			}
		}
	}
	slices.Sort(ch.Added)
	slices.Sort(ch.Removed)
	slices.Sort(ch.Changed)
	if ch.Empty() {
		return ch, nil
	}

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return Changes{}, errClosed
	}
	if s.instruments != nil {
		for _, name := range next.names {
			if p := next.pools[name]; p.metrics.Load() == nil {
				p.metrics.Store(newPoolMetrics(s.instruments, name))
			}
		}
	}
	s.cat.Store(next)
	s.retired = append(s.retired, retired...)
	s.mu.Unlock()
	for _, p := range retired {
		p.retire()
	}
	s.logger.Info("local Lambda runtime rescanned its functions", "added", ch.Added, "removed", ch.Removed,
		"changed", ch.Changed, "functions", next.names)
	return ch, nil
}

// prepare makes fn runnable: the Go ones are built (or taken from the
// cache), every one gets the command that starts its processes and its
// fingerprint.
func (s *Server) prepare(ctx context.Context, fn *function) error {
	var binary string
	if fn.kind == kindGo {
		var err error
		if binary, err = s.builder.build(ctx, fn); err != nil {
			return err
		}
	}
	if err := s.interp.commandFor(fn, s.clientsDir, binary); err != nil {
		return err
	}
	fp, err := fingerprint(fn)
	if err != nil {
		return fmt.Errorf("%s: reading the function's folder: %w", fn.dir, err)
	}
	fn.fingerprint = fp
	return nil
}

// fingerprint sums up what a process of fn runs: its settings, its command
// and the name, size, mode and modification time of every file in its
// folder (hidden entries skipped, as the Go build's hash does).
func fingerprint(fn *function) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\x00%s\x00%d\x00%d\x00%d\x00%q\x00", fn.kind, fn.handler, fn.timeout, fn.memoryMB, fn.concurrency, fn.argv)
	for _, k := range slices.Sorted(maps.Keys(fn.env)) {
		fmt.Fprintf(&b, "%q=%q\x00", k, fn.env[k])
	}
	err := filepath.WalkDir(fn.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != fn.dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(fn.dir, path)
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%d\x00", filepath.ToSlash(rel), info.Size(), info.Mode(), info.ModTime().UnixNano())
		return nil
	})
	return b.String(), err
}
