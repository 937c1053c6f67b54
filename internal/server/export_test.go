package server

import "time"

// SetTimeouts shortens the server's read and write timeouts for a test.
func SetTimeouts(s *Server, read, write time.Duration) { s.readTimeout, s.writeTimeout = read, write }

// SetStreamKeepAlive makes idle change streams send a comment every d.
func SetStreamKeepAlive(s *Server, d time.Duration) { s.api.StreamKeepAlive = d }
