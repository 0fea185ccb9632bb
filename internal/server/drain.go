package server

import (
	"net/http"
	"time"
)

// drain is the first step of a graceful stop, before Shutdown: /readyz
// answers 503, so that load balancers and Kubernetes take this replica out
// of rotation; keep-alives end, so that each client's next request opens a
// connection to another replica; and for DrainDelay the server goes on
// serving whatever still arrives (from a balancer that has not yet seen the
// 503, or an endpoint list not yet updated). Shutdown then stops accepting
// and waits for in-flight chunks, and the job queue for running deliveries.
func (s *Server) drain(servers []*http.Server) {
	s.draining.Store(true)
	for _, srv := range servers {
		srv.SetKeepAlivesEnabled(false)
	}
	if d := s.Config.DrainDelay; d > 0 {
		s.log.Info("draining", "delay", d.String())
		time.Sleep(d)
	}
}
