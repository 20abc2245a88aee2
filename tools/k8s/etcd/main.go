// Command etcd is a single-member etcd server for the test control plane (scripts/control-plane.sh):
// go.etcd.io/etcd/server/v3/embed listening on 127.0.0.1 only, plain HTTP (loopback), its data in
// one directory. It prints "ready" on stdout once the member serves clients, and stops cleanly on
// SIGTERM or SIGINT.
//
//	etcd --data-dir DIR --client-port N --peer-port M [--name NAME] [--log-level warn]
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for the member's data (required)")
	clientPort := flag.Int("client-port", 0, "client port on 127.0.0.1 (required)")
	peerPort := flag.Int("peer-port", 0, "peer port on 127.0.0.1 (required)")
	name := flag.String("name", "stackcheck", "member name")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	quotaBytes := flag.Int64("quota-backend-bytes", 2<<30, "backend size quota in bytes")
	flag.Parse()
	if *dataDir == "" || *clientPort <= 0 || *peerPort <= 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: etcd --data-dir DIR --client-port N --peer-port M [--name NAME] [--log-level LEVEL]")
		os.Exit(2)
	}

	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *clientPort)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *peerPort)}

	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	// No metrics listener beyond the client port, no discovery: one member, loopback only.
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = *logLevel
	// embed.NewConfig leaves this 0 (etcd's flag sets it), which logs every request as expensive.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	cfg.QuotaBackendBytes = *quotaBytes
	// A test cluster lives minutes and its data is thrown away: no fsync (much faster on a busy
	// disk), a small write-ahead log, frequent compaction.
	cfg.UnsafeNoFsync = true
	cfg.SnapshotCount = 10000
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "5m"

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		os.Exit(1)
	}
	defer e.Close()

	select {
	case <-e.Server.ReadyNotify():
		fmt.Println("ready")
	case err := <-e.Err():
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		os.Exit(1)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		fmt.Fprintln(os.Stderr, "etcd: the member was not ready within 60s")
		os.Exit(1)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-stop:
		fmt.Fprintf(os.Stderr, "etcd: %v: stopping\n", sig)
	case err := <-e.Err():
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		os.Exit(1)
	}
}
