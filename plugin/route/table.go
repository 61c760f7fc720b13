package route

// routes mirrors, in registration order, the routes of dockerd 20.10's
// initRouter (checkpoint, container, image, system, volume, build, session,
// swarm, plugin, distribution, grpc, network, then debug), plus the routes
// later daemons added, each at its place in its router. Order matters:
// like mux, Parse takes the first route that matches. dockerd_source_test.go
// checks it against the routers of both engines the guard is tested on
// (20.10 and 29, read from their module sources at the versions pinned in
// scripts/lib/engine.sh): every route either registers is here, in its order.
//
// Endpoint names are "<object>.<action>"; routes served by the same dockerd
// handler share a name (GET /images/get and GET /images/{name}/get are both
// image.save).
//
//	Endpoint                 Method  Template                                   Body
//	checkpoint.list          GET     /containers/{name:.*}/checkpoints          none
//	checkpoint.create        POST    /containers/{name:.*}/checkpoints          json
//	checkpoint.delete        DELETE  /containers/{name}/checkpoints/{checkpoint} none
//	container.archive.head   HEAD    /containers/{name:.*}/archive              none
//	container.list           GET     /containers/json                           none
//	container.export         GET     /containers/{name:.*}/export               none
//	container.changes        GET     /containers/{name:.*}/changes              none
//	container.inspect        GET     /containers/{name:.*}/json                 none
//	container.top            GET     /containers/{name:.*}/top                  none
//	container.logs           GET     /containers/{name:.*}/logs                 none
//	container.stats          GET     /containers/{name:.*}/stats                none
//	container.attach.ws      GET     /containers/{name:.*}/attach/ws            stream
//	exec.inspect             GET     /exec/{id:.*}/json                         none
//	container.archive.get    GET     /containers/{name:.*}/archive              none
//	container.create         POST    /containers/create                         json
//	container.kill           POST    /containers/{name:.*}/kill                 none
//	container.pause          POST    /containers/{name:.*}/pause                none
//	container.unpause        POST    /containers/{name:.*}/unpause              none
//	container.restart        POST    /containers/{name:.*}/restart              none
//	container.start          POST    /containers/{name:.*}/start                json-optional
//	container.stop           POST    /containers/{name:.*}/stop                 none
//	container.wait           POST    /containers/{name:.*}/wait                 none
//	container.resize         POST    /containers/{name:.*}/resize               none
//	container.attach         POST    /containers/{name:.*}/attach               stream
//	container.copy           POST    /containers/{name:.*}/copy                 json    (20.10, API < 1.24)
//	exec.create              POST    /containers/{name:.*}/exec                 json
//	exec.start               POST    /exec/{name:.*}/start                      json
//	exec.resize              POST    /exec/{name:.*}/resize                     none
//	container.rename         POST    /containers/{name:.*}/rename               none
//	container.update         POST    /containers/{name:.*}/update               json
//	container.prune          POST    /containers/prune                          none
//	container.commit         POST    /commit                                    json-optional
//	container.archive.put    PUT     /containers/{name:.*}/archive              stream
//	container.delete         DELETE  /containers/{name:.*}                      none
//	image.list               GET     /images/json                               none
//	image.search             GET     /images/search                             none
//	image.save               GET     /images/get                                none
//	image.save               GET     /images/{name:.*}/get                      none
//	image.history            GET     /images/{name:.*}/history                  none
//	image.inspect            GET     /images/{name:.*}/json                     none
//	image.attestations       GET     /images/{name:.*}/attestations             none    (v29)
//	image.load               POST    /images/load                               stream
//	image.create             POST    /images/create                             stream  (pull, or import of the body)
//	image.push               POST    /images/{name:.*}/push                     json-optional (auth, 20.10 without X-Registry-Auth)
//	image.tag                POST    /images/{name:.*}/tag                      none
//	image.prune              POST    /images/prune                              none
//	image.delete             DELETE  /images/{name:.*}                          none
//	options                  OPTIONS /{anyroute:.*}                             none
//	ping                     GET     /_ping                                     none
//	ping                     HEAD    /_ping                                     none
//	events                   GET     /events                                    none
//	info                     GET     /info                                      none
//	version                  GET     /version                                   none
//	system.df                GET     /system/df                                 none
//	auth                     POST    /auth                                      json-hidden
//	volume.list              GET     /volumes                                   none
//	volume.inspect           GET     /volumes/{name:.*}                         none
//	volume.create            POST    /volumes/create                            json
//	volume.prune             POST    /volumes/prune                             none
//	volume.update            PUT     /volumes/{name:.*}                         json    (v23+, cluster volumes)
//	volume.delete            DELETE  /volumes/{name:.*}                         none
//	build                    POST    /build                                     stream
//	build.prune              POST    /build/prune                               none
//	build.cancel             POST    /build/cancel                              none
//	session                  POST    /session                                   stream
//	swarm.init               POST    /swarm/init                                json
//	swarm.join               POST    /swarm/join                                json
//	swarm.leave              POST    /swarm/leave                               none
//	swarm.inspect            GET     /swarm                                     none
//	swarm.unlockkey          GET     /swarm/unlockkey                           none
//	swarm.update             POST    /swarm/update                              json
//	swarm.unlock             POST    /swarm/unlock                              json
//	service.list             GET     /services                                  none
//	service.inspect          GET     /services/{id}                             none
//	service.create           POST    /services/create                           json
//	service.update           POST    /services/{id}/update                      json
//	service.delete           DELETE  /services/{id}                             none
//	service.logs             GET     /services/{id}/logs                        none
//	node.list                GET     /nodes                                     none
//	node.inspect             GET     /nodes/{id}                                none
//	node.delete              DELETE  /nodes/{id}                                none
//	node.update              POST    /nodes/{id}/update                         json
//	task.list                GET     /tasks                                     none
//	task.inspect             GET     /tasks/{id}                                none
//	task.logs                GET     /tasks/{id}/logs                           none
//	secret.list              GET     /secrets                                   none
//	secret.create            POST    /secrets/create                            json
//	secret.delete            DELETE  /secrets/{id}                              none
//	secret.inspect           GET     /secrets/{id}                              none
//	secret.update            POST    /secrets/{id}/update                       json
//	config.list              GET     /configs                                   none
//	config.create            POST    /configs/create                            json
//	config.delete            DELETE  /configs/{id}                              none
//	config.inspect           GET     /configs/{id}                              none
//	config.update            POST    /configs/{id}/update                       json
//	plugin.list              GET     /plugins                                   none
//	plugin.inspect           GET     /plugins/{name:.*}/json                    none
//	plugin.privileges        GET     /plugins/privileges                        none
//	plugin.delete            DELETE  /plugins/{name:.*}                         none
//	plugin.enable            POST    /plugins/{name:.*}/enable                  none
//	plugin.disable           POST    /plugins/{name:.*}/disable                 none
//	plugin.pull              POST    /plugins/pull                              json
//	plugin.push              POST    /plugins/{name:.*}/push                    none
//	plugin.upgrade           POST    /plugins/{name:.*}/upgrade                 json
//	plugin.set               POST    /plugins/{name:.*}/set                     json
//	plugin.create            POST    /plugins/create                            stream
//	distribution.inspect     GET     /distribution/{name:.*}/json               none
//	grpc                     POST    /grpc                                      stream
//	network.list             GET     /networks                                  none
//	network.list             GET     /networks/                                 none
//	network.inspect          GET     /networks/{id:.+}                          none
//	network.create           POST    /networks/create                           json
//	network.connect          POST    /networks/{id:.*}/connect                  json
//	network.disconnect       POST    /networks/{id:.*}/disconnect               json
//	network.prune            POST    /networks/prune                            none
//	network.delete           DELETE  /networks/{id:.*}                          none
//	debug.vars               *       /debug/vars                                none
//	debug.pprof.index        *       /debug/pprof/                              none
//	debug.pprof.cmdline      *       /debug/pprof/cmdline                       none
//	debug.pprof.profile      *       /debug/pprof/profile                       none
//	debug.pprof.symbol       *       /debug/pprof/symbol                        stream  (POST: addresses)
//	debug.pprof.trace        *       /debug/pprof/trace                         none
//	debug.pprof.lookup       *       /debug/pprof/{name}                        none
//
// The /debug routes differ between daemons: 20.10 registers them for every
// method and only without a version prefix, v28 and v29 for GET only, with
// and without the prefix. The table keeps the union (any method, prefix
// allowed); a form one daemon lacks never reaches the plugin there, so
// naming it costs nothing.
var routes = []Route{
	// checkpoint router: registered before the container router so that
	// its DELETE is not masked by DELETE /containers/{name:.*}.
	{"GET", "/containers/{name:.*}/checkpoints", "checkpoint.list", BodyNone},
	{"POST", "/containers/{name:.*}/checkpoints", "checkpoint.create", BodyJSON},
	{"DELETE", "/containers/{name}/checkpoints/{checkpoint}", "checkpoint.delete", BodyNone},

	// container router
	{"HEAD", "/containers/{name:.*}/archive", "container.archive.head", BodyNone},
	{"GET", "/containers/json", "container.list", BodyNone},
	{"GET", "/containers/{name:.*}/export", "container.export", BodyNone},
	{"GET", "/containers/{name:.*}/changes", "container.changes", BodyNone},
	{"GET", "/containers/{name:.*}/json", "container.inspect", BodyNone},
	{"GET", "/containers/{name:.*}/top", "container.top", BodyNone},
	{"GET", "/containers/{name:.*}/logs", "container.logs", BodyNone},
	{"GET", "/containers/{name:.*}/stats", "container.stats", BodyNone},
	{"GET", "/containers/{name:.*}/attach/ws", "container.attach.ws", BodyStream},
	{"GET", "/exec/{id:.*}/json", "exec.inspect", BodyNone},
	{"GET", "/containers/{name:.*}/archive", "container.archive.get", BodyNone},
	{"POST", "/containers/create", "container.create", BodyJSON},
	{"POST", "/containers/{name:.*}/kill", "container.kill", BodyNone},
	{"POST", "/containers/{name:.*}/pause", "container.pause", BodyNone},
	{"POST", "/containers/{name:.*}/unpause", "container.unpause", BodyNone},
	{"POST", "/containers/{name:.*}/restart", "container.restart", BodyNone},
	{"POST", "/containers/{name:.*}/start", "container.start", BodyJSONOptional},
	{"POST", "/containers/{name:.*}/stop", "container.stop", BodyNone},
	{"POST", "/containers/{name:.*}/wait", "container.wait", BodyNone},
	{"POST", "/containers/{name:.*}/resize", "container.resize", BodyNone},
	{"POST", "/containers/{name:.*}/attach", "container.attach", BodyStream},
	{"POST", "/containers/{name:.*}/copy", "container.copy", BodyJSON},
	{"POST", "/containers/{name:.*}/exec", "exec.create", BodyJSON},
	{"POST", "/exec/{name:.*}/start", "exec.start", BodyJSON},
	{"POST", "/exec/{name:.*}/resize", "exec.resize", BodyNone},
	{"POST", "/containers/{name:.*}/rename", "container.rename", BodyNone},
	{"POST", "/containers/{name:.*}/update", "container.update", BodyJSON},
	{"POST", "/containers/prune", "container.prune", BodyNone},
	{"POST", "/commit", "container.commit", BodyJSONOptional},
	{"PUT", "/containers/{name:.*}/archive", "container.archive.put", BodyStream},
	{"DELETE", "/containers/{name:.*}", "container.delete", BodyNone},

	// image router
	{"GET", "/images/json", "image.list", BodyNone},
	{"GET", "/images/search", "image.search", BodyNone},
	{"GET", "/images/get", "image.save", BodyNone},
	{"GET", "/images/{name:.*}/get", "image.save", BodyNone},
	{"GET", "/images/{name:.*}/history", "image.history", BodyNone},
	{"GET", "/images/{name:.*}/json", "image.inspect", BodyNone},
	{"GET", "/images/{name:.*}/attestations", "image.attestations", BodyNone},
	{"POST", "/images/load", "image.load", BodyStream},
	{"POST", "/images/create", "image.create", BodyStream},
	{"POST", "/images/{name:.*}/push", "image.push", BodyJSONOptional},
	{"POST", "/images/{name:.*}/tag", "image.tag", BodyNone},
	{"POST", "/images/prune", "image.prune", BodyNone},
	{"DELETE", "/images/{name:.*}", "image.delete", BodyNone},

	// system router: its OPTIONS catch-all answers CORS preflights for
	// every path, with the authz plugin consulted first.
	{"OPTIONS", "/{anyroute:.*}", "options", BodyNone},
	{"GET", "/_ping", "ping", BodyNone},
	{"HEAD", "/_ping", "ping", BodyNone},
	{"GET", "/events", "events", BodyNone},
	{"GET", "/info", "info", BodyNone},
	{"GET", "/version", "version", BodyNone},
	{"GET", "/system/df", "system.df", BodyNone},
	{"POST", "/auth", "auth", BodyJSONHidden},

	// volume router
	{"GET", "/volumes", "volume.list", BodyNone},
	{"GET", "/volumes/{name:.*}", "volume.inspect", BodyNone},
	{"POST", "/volumes/create", "volume.create", BodyJSON},
	{"POST", "/volumes/prune", "volume.prune", BodyNone},
	{"PUT", "/volumes/{name:.*}", "volume.update", BodyJSON},
	{"DELETE", "/volumes/{name:.*}", "volume.delete", BodyNone},

	// build router
	{"POST", "/build", "build", BodyStream},
	{"POST", "/build/prune", "build.prune", BodyNone},
	{"POST", "/build/cancel", "build.cancel", BodyNone},

	// session router
	{"POST", "/session", "session", BodyStream},

	// swarm router
	{"POST", "/swarm/init", "swarm.init", BodyJSON},
	{"POST", "/swarm/join", "swarm.join", BodyJSON},
	{"POST", "/swarm/leave", "swarm.leave", BodyNone},
	{"GET", "/swarm", "swarm.inspect", BodyNone},
	{"GET", "/swarm/unlockkey", "swarm.unlockkey", BodyNone},
	{"POST", "/swarm/update", "swarm.update", BodyJSON},
	{"POST", "/swarm/unlock", "swarm.unlock", BodyJSON},

	{"GET", "/services", "service.list", BodyNone},
	{"GET", "/services/{id}", "service.inspect", BodyNone},
	{"POST", "/services/create", "service.create", BodyJSON},
	{"POST", "/services/{id}/update", "service.update", BodyJSON},
	{"DELETE", "/services/{id}", "service.delete", BodyNone},
	{"GET", "/services/{id}/logs", "service.logs", BodyNone},

	{"GET", "/nodes", "node.list", BodyNone},
	{"GET", "/nodes/{id}", "node.inspect", BodyNone},
	{"DELETE", "/nodes/{id}", "node.delete", BodyNone},
	{"POST", "/nodes/{id}/update", "node.update", BodyJSON},

	{"GET", "/tasks", "task.list", BodyNone},
	{"GET", "/tasks/{id}", "task.inspect", BodyNone},
	{"GET", "/tasks/{id}/logs", "task.logs", BodyNone},

	{"GET", "/secrets", "secret.list", BodyNone},
	{"POST", "/secrets/create", "secret.create", BodyJSON},
	{"DELETE", "/secrets/{id}", "secret.delete", BodyNone},
	{"GET", "/secrets/{id}", "secret.inspect", BodyNone},
	{"POST", "/secrets/{id}/update", "secret.update", BodyJSON},

	{"GET", "/configs", "config.list", BodyNone},
	{"POST", "/configs/create", "config.create", BodyJSON},
	{"DELETE", "/configs/{id}", "config.delete", BodyNone},
	{"GET", "/configs/{id}", "config.inspect", BodyNone},
	{"POST", "/configs/{id}/update", "config.update", BodyJSON},

	// plugin router
	{"GET", "/plugins", "plugin.list", BodyNone},
	{"GET", "/plugins/{name:.*}/json", "plugin.inspect", BodyNone},
	{"GET", "/plugins/privileges", "plugin.privileges", BodyNone},
	{"DELETE", "/plugins/{name:.*}", "plugin.delete", BodyNone},
	{"POST", "/plugins/{name:.*}/enable", "plugin.enable", BodyNone},
	{"POST", "/plugins/{name:.*}/disable", "plugin.disable", BodyNone},
	{"POST", "/plugins/pull", "plugin.pull", BodyJSON},
	{"POST", "/plugins/{name:.*}/push", "plugin.push", BodyNone},
	{"POST", "/plugins/{name:.*}/upgrade", "plugin.upgrade", BodyJSON},
	{"POST", "/plugins/{name:.*}/set", "plugin.set", BodyJSON},
	{"POST", "/plugins/create", "plugin.create", BodyStream},

	// distribution router
	{"GET", "/distribution/{name:.*}/json", "distribution.inspect", BodyNone},

	// grpc router (BuildKit)
	{"POST", "/grpc", "grpc", BodyStream},

	// network router
	{"GET", "/networks", "network.list", BodyNone},
	{"GET", "/networks/", "network.list", BodyNone},
	{"GET", "/networks/{id:.+}", "network.inspect", BodyNone},
	{"POST", "/networks/create", "network.create", BodyJSON},
	{"POST", "/networks/{id:.*}/connect", "network.connect", BodyJSON},
	{"POST", "/networks/{id:.*}/disconnect", "network.disconnect", BodyJSON},
	{"POST", "/networks/prune", "network.prune", BodyNone},
	{"DELETE", "/networks/{id:.*}", "network.delete", BodyNone},

	// debug router
	{AnyMethod, "/debug/vars", "debug.vars", BodyNone},
	{AnyMethod, "/debug/pprof/", "debug.pprof.index", BodyNone},
	{AnyMethod, "/debug/pprof/cmdline", "debug.pprof.cmdline", BodyNone},
	{AnyMethod, "/debug/pprof/profile", "debug.pprof.profile", BodyNone},
	{AnyMethod, "/debug/pprof/symbol", "debug.pprof.symbol", BodyStream},
	{AnyMethod, "/debug/pprof/trace", "debug.pprof.trace", BodyNone},
	{AnyMethod, "/debug/pprof/{name}", "debug.pprof.lookup", BodyNone},
}

// Routes returns a copy of the table, in matching order.
func Routes() []Route {
	return append([]Route(nil), routes...)
}
