package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// validPprofAddr checks --pprof: "" (off), or host:port on a loopback
// address, since the profiles show the server's insides to anyone who can
// reach them.
func validPprofAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("pprof: %q is not host:port", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("pprof: %q is not a loopback address; use 127.0.0.1:PORT or [::1]:PORT", addr)
	}
	return nil
}

// pprofServer serves net/http/pprof's /debug/pprof/ on a listener of its
// own, apart from the API.
type pprofServer struct {
	srv    *http.Server
	l      net.Listener
	served chan error
}

// startPprof listens on addr and serves the profiles.
func startPprof(addr string, logger *slog.Logger) (*pprofServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &pprofServer{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)},
		l: l, served: make(chan error, 1),
	}
	go func() { p.served <- p.srv.Serve(l) }()
	logger.Info("pprof is serving", "addr", "http://"+l.Addr().String()+"/debug/pprof/")
	return p, nil
}

// Addr is where the profiles are served.
func (p *pprofServer) Addr() string { return p.l.Addr().String() }

// Close stops the listener; profiles being taken are cut off.
func (p *pprofServer) Close() error {
	if p == nil {
		return nil
	}
	err := p.srv.Close()
	if serr := <-p.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
