package server

import "time"

// SetTimeouts shortens the server's read and write timeouts for a test.
func SetTimeouts(s *Server, read, write time.Duration) { s.readTimeout, s.writeTimeout = read, write }

// SetStreamKeepAlive makes idle change streams send a comment every d.
func SetStreamKeepAlive(s *Server, d time.Duration) { s.api.StreamKeepAlive = d }

// SetNotificationTimings makes the notification dispatcher retry after
// retryBase (doubling), look for due deliveries every poll and at every job
// every sweep.
func SetNotificationTimings(s *Server, retryBase, poll, sweep time.Duration) {
	s.notifier.RetryBase, s.notifier.Poll, s.notifier.Sweep = retryBase, poll, sweep
}
