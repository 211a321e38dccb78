package redisstore_test

import (
	"fmt"

	"github.com/idemproxy/idemproxy/store/redisstore"
)

// ParseURL reads every topology from one URL; its errors never show a
// password. The options then go to NewClient.
func ExampleParseURL() {
	opts, err := redisstore.ParseURL("redis+sentinel://app:s3cret@s1:26379,s2/mymaster/2?dial_timeout=500ms&sentinel_password=sp")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(opts.Addrs, opts.MasterName, opts.DB, opts.Username, opts.DialTimeout)

	opts, _ = redisstore.ParseURL("rediss+cluster://a:7000,b:7001")
	fmt.Println(opts.Addrs, opts.IsClusterMode, opts.TLSConfig != nil)

	_, err = redisstore.ParseURL("redis://app:pa/ss@h:6379")
	fmt.Println(err)
	_, err = redisstore.ParseURL("redis://h?pool_size=-1")
	fmt.Println(err)
	// Output:
	// [s1:26379 s2:26379] mymaster 2 app 500ms
	// [a:7000 b:7001] true true
	// redisstore: URL "redis://xxxxx@h:6379": userinfo must be percent-encoded
	// redisstore: URL "redis://h?pool_size=-1": parameter pool_size: want an integer from 1 on
}
