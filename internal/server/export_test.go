package server

import "time"

// SetTimeouts shortens the server's read and write timeouts for a test.
func SetTimeouts(s *Server, read, write time.Duration) { s.readTimeout, s.writeTimeout = read, write }
