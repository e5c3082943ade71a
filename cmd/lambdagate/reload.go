package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lambdagate/lambdagate/gateway"
	"github.com/lambdagate/lambdagate/lambdalocal"
)

// watchDebounce is how long the file must stay quiet after a change before
// it is reloaded: editors and Kubernetes write a file in several steps.
const watchDebounce = 300 * time.Millisecond

// hangups delivers SIGHUP from the moment it is called, so that a SIGHUP
// never takes the default action (ending the process) once run starts.
func hangups() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

// watchFolder watches the folder of file: editors replace a file by
// renaming a new one over it, and Kubernetes swaps a ConfigMap's files by
// a symlink in the folder, so a watch on the file itself would end with
// the first such change.
func watchFolder(file string) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(filepath.Dir(file)); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// reloadLoop reloads on every SIGHUP (always rebuilt) and, with a watcher
// w, on every change of the file (debounced; skipped when its content is
// the one served) until ctx ends. One reload runs at a time. With a local
// runtime, a SIGHUP first rescans its functions folder, so that the new
// configuration can name the functions added to it.
func reloadLoop(ctx context.Context, r *gateway.Reloader, file string, hup <-chan os.Signal, w *fsnotify.Watcher, local *lambdalocal.Server, logger *slog.Logger) {
	var (
		changes <-chan fsnotify.Event
		errs    <-chan error
	)
	if w != nil {
		changes, errs = w.Events, w.Errors
	}
	var (
		timer *time.Timer
		fire  <-chan time.Time
	)
	base := filepath.Base(file)
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-hup:
			if local != nil {
				rescanFunctions(ctx, local, logger)
			}
			logger.Info("SIGHUP: reloading the configuration", "file", file)
			r.Reload(true)
		case ev := <-changes:
			name := filepath.Base(ev.Name)
			// The file, or the folder's own entries a symlinked file
			// goes through (Kubernetes' ..data).
			if name != base && !isHiddenLink(name) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(watchDebounce)
			} else {
				timer.Reset(watchDebounce)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			if err := r.Reload(false); errors.Is(err, gateway.ErrUnchanged) {
				logger.Debug("configuration file touched, content unchanged", "file", file)
			}
		case err := <-errs:
			logger.Warn("watching the configuration file: "+err.Error(), "file", file)
		}
	}
}

// isHiddenLink reports whether name is one of the folder entries that
// Kubernetes renames to swap a ConfigMap's files at once ("..data",
// "..2026_12_04...").
func isHiddenLink(name string) bool { return len(name) > 2 && name[:2] == ".." }

// rescanFunctions rescans a local runtime's functions folder; a folder
// that cannot be run is logged, and the runtime keeps what it served.
func rescanFunctions(ctx context.Context, local *lambdalocal.Server, logger *slog.Logger) {
	ch, err := local.Rescan(ctx)
	switch {
	case err != nil:
		logger.Error("SIGHUP: the functions folder was not rescanned, the local runtime serves what it served: " + err.Error())
	case ch.Empty():
		logger.Info("SIGHUP: the functions folder is unchanged")
	}
}
