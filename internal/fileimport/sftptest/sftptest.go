// Package sftptest runs an SFTP server in the test's process, on
// 127.0.0.1, for the tests of watched SFTP folders: github.com/pkg/sftp's
// server over golang.org/x/crypto/ssh, with a host key generated for the
// test, serving the real files of a temporary folder. It is for tests only.
package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// The account the server takes.
const (
	User     = "drop"
	Password = "drop-secret"
)

// Server is a running SFTP server.
type Server struct {
	// Addr is its 127.0.0.1:port.
	Addr string
	// HostKey is its public host key.
	HostKey ssh.PublicKey
	// Dir is the folder it serves (its working folder).
	Dir string
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
		if c.User() == User && string(pass) == Password {
			return nil, nil
		}
		return nil, errors.New("wrong password")
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), HostKey: signer.PublicKey(), Dir: t.TempDir()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Go(func() { s.serve(conn, cfg) })
		}
	})
	return s
}

// AuthorizedKey is the host key as an authorized_keys line.
func (s *Server) AuthorizedKey() string { return string(ssh.MarshalAuthorizedKey(s.HostKey)) }

// Endpoint is the server's sftp://user@host:port.
func (s *Server) Endpoint() string { return "sftp://" + User + "@" + s.Addr }

func (s *Server) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, in, err := nc.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			for req := range in {
				_ = req.Reply(req.Type == "subsystem" && len(req.Payload) > 4 && string(req.Payload[4:]) == "sftp", nil)
			}
		})
		wg.Go(func() {
			defer ch.Close()
			if srv, err := sftp.NewServer(ch, sftp.WithServerWorkingDirectory(s.Dir)); err == nil {
				_ = srv.Serve() // ends when the client goes
			}
		})
	}
}

// Drop writes a file into the served folder, last modified at mtime.
func (s *Server) Drop(t testing.TB, name string, body []byte, mtime time.Time) {
	t.Helper()
	p := filepath.Join(s.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// Count is the number of regular files in a folder of the served one.
func (s *Server) Count(t testing.TB, folder string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir, folder))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Type().IsRegular() {
			n++
		}
	}
	return n
}
