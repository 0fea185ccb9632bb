package servertest

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

var listening = regexp.MustCompile(`"msg":"intake listening","addr":"(127\.0\.0\.1:[0-9]+)"`)

// StartServe starts cmd, an `intake serve` child process, with its output
// in logs, and waits up to 60 s for its "intake listening" line, returning
// the base URL it logged. exited (capacity 1) receives cmd.Wait's result;
// when the child exits before listening, StartServe reads it and puts it
// back. The caller stops the child (a child that did not listen in time
// is still running).
func StartServe(cmd *exec.Cmd, logs *SyncBuffer, exited chan error) (string, error) {
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start intake serve: %w", err)
	}
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], nil
		}
		select {
		case err := <-exited:
			exited <- err
			return "", fmt.Errorf("intake serve exited (%w) before listening: %s", err, lastLine(logs.String()))
		case <-deadline:
			return "", errors.New("intake serve did not listen in 60 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
