# Checkpoint and restore (CRIU, experimental daemons).
package dood.rules.checkpoints

# METADATA
# title: Checkpoint directory on the host
# description: >-
#   Refuses a checkpoint directory chosen by the client: CheckpointDir in a
#   checkpoint create, checkpoint-dir when starting from a checkpoint, and
#   dir when listing or removing checkpoints.
# custom:
#   id: DG-CKPT-001
#   endpoints: checkpoint create, list, delete, container start
#   why: >-
#     The daemon creates that directory and writes the CRIU dump into it as
#     root (a write anywhere on the host), restores processes from whatever
#     images it holds, and removes it recursively on delete.
#   allow_by: >-
#     use the container's own checkpoint directory (omit the option), or
#     list DG-CKPT-001 in guard.disabled_rules
violation contains {"id": "DG-CKPT-001", "msg": msg, "path": f.path} if {
	input.endpoint in {"checkpoint.create", "checkpoint.list", "checkpoint.delete", "container.start"}
	some f in checkpoint_dirs
	msg := sprintf("checkpoint directory %q is not allowed: the daemon reads, writes and removes it on the host as root; omit it to use the container's own", [f.value])
}

checkpoint_dirs contains {"value": d, "path": "CheckpointDir"} if {
	input.endpoint == "checkpoint.create"
	d := object.get(input.body, "CheckpointDir", "")
	d != ""
}

checkpoint_dirs contains {"value": d, "path": "query.checkpoint-dir"} if {
	input.endpoint == "container.start"
	d := object.get(input.query, "checkpoint-dir", "")
	d != ""
}

checkpoint_dirs contains {"value": d, "path": "query.dir"} if {
	input.endpoint in {"checkpoint.list", "checkpoint.delete"}
	d := object.get(input.query, "dir", "")
	d != ""
}
