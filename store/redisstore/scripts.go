package redisstore

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// One script per operation, each starting with its KEYS/ARGV/return
// contract. Script.Run sends EVALSHA and falls back to EVAL when the server
// does not know the script yet (after a restart or failover).
var (
	//go:embed lua/claim.lua
	claimSrc    string
	claimScript = redis.NewScript(claimSrc)

	//go:embed lua/renew.lua
	renewSrc    string
	renewScript = redis.NewScript(renewSrc)

	//go:embed lua/finish.lua
	finishSrc    string
	finishScript = redis.NewScript(finishSrc)

	//go:embed lua/release.lua
	releaseSrc    string
	releaseScript = redis.NewScript(releaseSrc)

	//go:embed lua/get.lua
	getSrc    string
	getScript = redis.NewScript(getSrc)

	//go:embed lua/delete.lua
	deleteSrc    string
	deleteScript = redis.NewScript(deleteSrc)
)
