package front

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// issue makes a certificate for cn signed by ca (self-signed when ca is nil).
func issue(t *testing.T, cn string, ca *tls.Certificate, isCA bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.Leaf, ca.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestTLSFront: on TCP the front requires a client certificate from its CA,
// makes its common name the user as dockerd does, and never negotiates
// HTTP/2.
func TestTLSFront(t *testing.T) {
	ca := issue(t, "test CA", nil, true)
	server := issue(t, "front", &ca, false)
	client := issue(t, "ci-runner", &ca, false)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Leaf)

	g := &recorder{}
	u := startUpstream(t, ok)
	log := logrus.New()
	log.SetOutput(io.Discard)
	f, err := New(g, Options{Upstream: u.sock}, log)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", TLSConfig(server, pool))
	if err != nil {
		t.Fatal(err)
	}
	go f.Serve(l)
	t.Cleanup(func() { l.Close() })

	dial := func(certs []tls.Certificate) (*tls.Conn, error) {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, Certificates: certs, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			return nil, err
		}
		// TLS 1.3 reports a refused client certificate on the first read.
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"); err != nil {
			return nil, err
		}
		return c, nil
	}

	c, err := dial([]tls.Certificate{client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p == "h2" {
		t.Errorf("ALPN negotiated %q: the front must not speak HTTP/2", p)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("with a client certificate: %v %v", resp, err)
	}
	if r := g.last(t); r.User != "ci-runner" || r.UserAuthNMethod != "TLS" {
		t.Errorf("user %q method %q, want ci-runner TLS", r.User, r.UserAuthNMethod)
	}

	n := u.connections()
	if c, err := dial(nil); err == nil {
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			t.Errorf("a client without a certificate was answered")
		}
		c.Close()
	}
	if u.connections() != n {
		t.Errorf("a client without a certificate reached the daemon")
	}
}
