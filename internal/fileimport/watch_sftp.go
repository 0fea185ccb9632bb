package fileimport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/intakehq/intake/internal/store"
)

// An SFTP watch (github.com/pkg/sftp over golang.org/x/crypto/ssh) lists
// one folder, not its subfolders. A file is versioned by its size and
// modification time; one modified less than sftpSettle ago, or whose name
// starts with a dot, may still be being written (SFTP has no atomic put)
// and waits for a later poll. Once imported a file is moved (renamed) into
// the done folder: SFTP has no tags. The server's host key is pinned in
// the watch: there is no trust on first use.

// sftpSettle is how long a file must be left unmodified before it is claimed.
const sftpSettle = 30 * time.Second

// sftpTimeout bounds the connection and the SSH handshake.
const sftpTimeout = 30 * time.Second

// isSFTP reports whether wt watches an SFTP folder.
func isSFTP(wt store.Watch) bool { return strings.HasPrefix(wt.Endpoint, "sftp://") }

// checkSFTP refuses SFTP settings that cannot work and fills in the
// default after (move, the only one).
func checkSFTP(wt *store.Watch, c WatchCredentials) error {
	u, err := url.Parse(wt.Endpoint)
	if err != nil || u.Hostname() == "" || u.User.Username() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errors.New("endpoint must be sftp://user@host[:port]")
	}
	if _, set := u.User.Password(); set {
		return errors.New("the endpoint holds no password: give it as password")
	}
	if wt.Bucket != "" || wt.Region != "" {
		return errors.New("bucket and region are an S3 watch's")
	}
	if wt.After == "" {
		wt.After = store.AfterMove
	}
	if wt.After != store.AfterMove {
		return errors.New("an SFTP watch moves files: after must be move")
	}
	if wt.DonePrefix == "" || path.Clean(wt.DonePrefix) == path.Clean(cmp.Or(wt.Prefix, ".")) {
		return errors.New("an SFTP watch needs a done_prefix, a folder other than the prefix")
	}
	if _, _, err := hostKeyCheck(wt.HostKey); err != nil {
		return err
	}
	if c.AccessKeyID != "" || c.SecretAccessKey != "" {
		return errors.New("access_key_id and secret_access_key are an S3 watch's")
	}
	if _, err := sshAuth(c); err != nil {
		return err
	}
	return nil
}

// hostKeyCheck is the callback that accepts only the pinned host key (an
// authorized_keys line, or its SHA256: fingerprint as ssh-keygen -l
// prints it), and the host key algorithms to ask for.
func hostKeyCheck(pinned string) (ssh.HostKeyCallback, []string, error) {
	pinned = strings.TrimSpace(pinned)
	if pinned == "" {
		return nil, nil, errors.New("host_key is required: the server's public key (an authorized_keys line) or its SHA256: fingerprint")
	}
	if strings.HasPrefix(pinned, "SHA256:") {
		return func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if ssh.FingerprintSHA256(key) != pinned {
				return errors.New("the SFTP server's host key is not the pinned one")
			}
			return nil
		}, nil, nil
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pinned))
	if err != nil {
		return nil, nil, errors.New("host_key is neither an authorized_keys line nor a SHA256: fingerprint")
	}
	algos := []string{key.Type()}
	if key.Type() == ssh.KeyAlgoRSA {
		algos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	fixed := ssh.FixedHostKey(key)
	return func(host string, remote net.Addr, k ssh.PublicKey) error {
		if fixed(host, remote, k) != nil {
			return errors.New("the SFTP server's host key is not the pinned one")
		}
		return nil
	}, algos, nil
}

// sshAuth is how the watch logs in: a private key, a password, or both.
func sshAuth(c WatchCredentials) ([]ssh.AuthMethod, error) {
	var auth []ssh.AuthMethod
	if c.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
		if err != nil {
			return nil, errors.New("private_key is not an unencrypted PEM or OpenSSH private key")
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		auth = append(auth, ssh.Password(c.Password))
	}
	if len(auth) == 0 {
		return nil, errors.New("an SFTP watch needs a password or a private_key")
	}
	return auth, nil
}

// sftpSource is a watched SFTP folder.
type sftpSource struct {
	wt     store.Watch
	ssh    *ssh.Client
	client *sftp.Client
	// stop unhooks the closing of the connection when the context ends.
	stop func() bool
}

func (w *Watcher) sftp(ctx context.Context, wt store.Watch, c WatchCredentials) (*sftpSource, error) {
	u, err := url.Parse(wt.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("watch of %s endpoint: %w", wt.ImporterID, err)
	}
	addr := net.JoinHostPort(u.Hostname(), cmp.Or(u.Port(), "22"))
	check, algos, err := hostKeyCheck(wt.HostKey)
	if err != nil {
		return nil, err
	}
	auth, err := sshAuth(c)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, sftpTimeout)
	defer cancel()
	conn, err := w.dial(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sftp dial: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(sftpTimeout))
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{User: u.User.Username(), Auth: auth,
		HostKeyCallback: check, HostKeyAlgorithms: algos, Timeout: sftpTimeout})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sftp: ssh: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	sf, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("sftp: %w", describeSFTP(err))
	}
	// SFTP calls take no context: closing the connection ends them.
	stop := context.AfterFunc(ctx, func() { client.Close() })
	return &sftpSource{wt: wt, ssh: client, client: sf, stop: stop}, nil
}

// sftpVersion tells one content of a path from the next.
func sftpVersion(fi fs.FileInfo) string {
	return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().Unix())
}

func (s *sftpSource) folder() string { return cmp.Or(s.wt.Prefix, ".") }

func (s *sftpSource) list(ctx context.Context, fn func(key, version string) error) error {
	infos, err := s.client.ReadDirContext(ctx, s.folder())
	if err != nil {
		return fmt.Errorf("list the sftp folder: %w", describeSFTP(err))
	}
	for _, fi := range infos {
		if !fi.Mode().IsRegular() || strings.HasPrefix(fi.Name(), ".") || time.Since(fi.ModTime()) < sftpSettle {
			continue
		}
		if err := fn(path.Join(s.folder(), fi.Name()), sftpVersion(fi)); err != nil {
			return err
		}
	}
	return nil
}

func (s *sftpSource) open(_ context.Context, key, version string) (io.ReadCloser, error) {
	f, err := s.client.Open(key)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errChanged
	}
	if err != nil {
		return nil, describeSFTP(err)
	}
	fi, err := f.Stat()
	if err != nil || sftpVersion(fi) != version {
		f.Close()
		if err != nil {
			return nil, describeSFTP(err)
		}
		return nil, errChanged
	}
	return &sftpFile{f: f, version: version}, nil
}

// sftpFile reads a claimed file and, at its end, checks that it did not
// change while read: a file written to since its claim fails the read.
type sftpFile struct {
	f       *sftp.File
	version string
}

func (r *sftpFile) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if errors.Is(err, io.EOF) {
		fi, serr := r.f.Stat()
		if serr != nil {
			return n, describeSFTP(serr)
		}
		if sftpVersion(fi) != r.version {
			return n, errChanged
		}
	}
	return n, err
}

func (r *sftpFile) Close() error { return r.f.Close() }

// finish moves an imported file into the done folder, replacing a file of
// the same name there (as an S3 move does). A file already gone was moved
// by a run that did not record it.
func (s *sftpSource) finish(_ context.Context, key, _, _ string) error {
	if _, err := s.client.Stat(key); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := s.client.MkdirAll(s.wt.DonePrefix); err != nil {
		return fmt.Errorf("make the done folder: %w", describeSFTP(err))
	}
	dest := path.Join(s.wt.DonePrefix, path.Base(key))
	err := s.client.PosixRename(key, dest)
	if err != nil { // a server without OpenSSH's posix-rename extension
		err = s.client.Rename(key, dest)
	}
	if err != nil {
		return fmt.Errorf("move watched file: %w", describeSFTP(err))
	}
	return nil
}

func (s *sftpSource) Close() error {
	s.stop()
	s.client.Close()
	return s.ssh.Close()
}

// describeSFTP keeps an SFTP error's status code and drops the server's
// message and any path, which may name the file.
func describeSFTP(err error) error {
	var se *sftp.StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("sftp status %d", se.Code)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("sftp %s: %w", pe.Op, pe.Err)
	}
	return err
}
