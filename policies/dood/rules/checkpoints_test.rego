package dood.rules.checkpoints_test

import data.dood.fixtures as fx

ckpt_create(dir) := fx.with_body(
	fx.request("POST", "checkpoint.create", "/containers/web/checkpoints", {"name": "web"}, {}),
	{"CheckpointID": "c1", "CheckpointDir": dir, "Exit": false},
)

test_checkpoint_dir_denied if {
	fx.decide(ckpt_create("/etc/cron.d")).violations == [{
		"id": "DG-CKPT-001",
		"msg": "checkpoint directory \"/etc/cron.d\" is not allowed: the daemon reads, writes and removes it on the host as root; omit it to use the container's own",
		"path": "CheckpointDir",
	}]
	fx.ids(fx.request("POST", "container.start", "/containers/web/start", {"name": "web"}, {"checkpoint": "c1", "checkpoint-dir": "/srv/x"})) == {"DG-CKPT-001"}
	fx.ids(fx.request("DELETE", "checkpoint.delete", "/containers/web/checkpoints/c1", {"name": "web", "checkpoint": "c1"}, {"dir": "/"})) == {"DG-CKPT-001"}
	fx.ids(fx.request("GET", "checkpoint.list", "/containers/web/checkpoints", {"name": "web"}, {"dir": "/root"})) == {"DG-CKPT-001"}
}

test_default_checkpoint_dir_allowed if {
	fx.ids(ckpt_create("")) == set()
	fx.ids(fx.request("POST", "container.start", "/containers/web/start", {"name": "web"}, {"checkpoint": "c1"})) == set()
	fx.ids(fx.request("POST", "container.start", "/containers/web/start", {"name": "web"}, {})) == set()
}
