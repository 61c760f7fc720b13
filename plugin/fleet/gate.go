package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dood-guard/dood-guard/plugin/policy"
	"github.com/open-policy-agent/opa/v1/server"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// gate is the store OPA's plugin manager activates bundles into. Before a
// write is committed it reads what the store would then hold — the
// modules and data of every bundle — as one policy source, and installs it
// in the guard (validated and prepared once, as a reload is). When the
// guard refuses it, the write is aborted and the error returned: OPA's
// bundle plugin then counts the activation as failed, reports it in its
// status, does not persist the bundle, and keeps the bundle it had — the
// guard and OPA's store never disagree about which bundle is current.
type gate struct {
	storage.Store
	// install makes the guard serve src; an error refuses the bundle.
	install func(ctx context.Context, src *policy.Source) error
	// revisions are the bundles serving now, by name: set once installed.
	revisions atomic.Pointer[map[string]server.BundleInfo]

	mu     sync.Mutex
	writes map[uint64]bool // write transactions open now, by ID
}

func newGate(install func(context.Context, *policy.Source) error) *gate {
	return &gate{Store: inmem.New(), install: install, writes: map[uint64]bool{}}
}

// errRefused wraps the guard's reasons for refusing a bundle.
var errRefused = errors.New("dood-guard refused the bundle; the current policy stays")

func (g *gate) NewTransaction(ctx context.Context, params ...storage.TransactionParams) (storage.Transaction, error) {
	txn, err := g.Store.NewTransaction(ctx, params...)
	if err == nil && len(params) > 0 && params[0].Write {
		g.mu.Lock()
		g.writes[txn.ID()] = true
		g.mu.Unlock()
	}
	return txn, err
}

func (g *gate) written(txn storage.Transaction) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.writes[txn.ID()]
	delete(g.writes, txn.ID())
	return w
}

func (g *gate) Abort(ctx context.Context, txn storage.Transaction) {
	g.written(txn)
	g.Store.Abort(ctx, txn)
}

func (g *gate) Commit(ctx context.Context, txn storage.Transaction) error {
	if !g.written(txn) {
		return g.Store.Commit(ctx, txn)
	}
	src, revs, err := g.source(ctx, txn)
	if err == nil && src != nil {
		err = g.install(ctx, src)
	}
	if err != nil {
		g.Store.Abort(ctx, txn)
		return fmt.Errorf("%w: %w", errRefused, err)
	}
	if src != nil {
		g.revisions.Store(&revs)
	}
	return g.Store.Commit(ctx, txn)
}

// MakeDir keeps the in-memory store's own MakeDir (storage.MakeDirer),
// which the embedded interface would hide.
func (g *gate) MakeDir(ctx context.Context, txn storage.Transaction, path storage.Path) error {
	return g.Store.(storage.MakeDirer).MakeDir(ctx, txn, path)
}

// source is the policy the store holds in txn: nil when it holds no
// bundle (the manager's own start-up write, or every bundle removed).
func (g *gate) source(ctx context.Context, txn storage.Transaction) (*policy.Source, map[string]server.BundleInfo, error) {
	ids, err := g.Store.ListPolicies(ctx, txn)
	if err != nil {
		return nil, nil, fmt.Errorf("list bundle modules: %w", err)
	}
	modules := make(map[string]string, len(ids))
	for _, id := range ids {
		b, err := g.Store.GetPolicy(ctx, txn, id)
		if err != nil {
			return nil, nil, fmt.Errorf("read bundle module %s: %w", id, err)
		}
		modules[id] = string(b)
	}
	v, err := g.Store.Read(ctx, txn, storage.RootPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read bundle data: %w", err)
	}
	root, _ := v.(map[string]any)
	sys, _ := root["system"].(map[string]any)
	names, revs := bundleNames(sys)
	if len(names) == 0 {
		return nil, nil, nil
	}
	// data.system is OPA's own (bundle manifests and ETags), not the
	// guard's data.
	data := make(map[string]any, len(root))
	for k, v := range root {
		if k != "system" {
			data[k] = v
		}
	}
	src, err := policy.FromBundle(modules, data, "bundle:"+strings.Join(names, ","))
	return src, revs, err
}

// bundleNames lists the activated bundles with their revisions
// (data.system.bundles.<name>.manifest.revision): name@revision for logs,
// and by name for the decision events.
func bundleNames(sys map[string]any) ([]string, map[string]server.BundleInfo) {
	bs, _ := sys["bundles"].(map[string]any)
	var out []string
	revs := map[string]server.BundleInfo{}
	for _, name := range slices.Sorted(maps.Keys(bs)) {
		b, _ := bs[name].(map[string]any)
		m, _ := b["manifest"].(map[string]any)
		rev, _ := m["revision"].(string)
		revs[name] = server.BundleInfo{Revision: rev}
		if rev != "" {
			out = append(out, name+"@"+rev)
		} else {
			out = append(out, name)
		}
	}
	return out, revs
}
