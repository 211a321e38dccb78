// Package proxyconfig loads the configuration of the idemproxy binary: a YAML
// file, then IDEMPROXY_* environment variables, then command-line flags, each
// beating the one before.
//
// Decoding is strict: a field the schema does not know is an error naming its
// line and its path (idempotency.routes[0].scpoe), because a misspelt option
// silently left at its default is how an idempotency layer ends up not
// protecting the route it was configured for. After decoding, every value is
// validated and every problem is reported at once, each naming its field and,
// when it came from the file, its line; a value from the environment or a
// flag names that source instead.
//
// A zero value (an absent field, 0, "") means the documented default
// everywhere; Defaults returns them. The middleware settings under
// idempotency: map one to one onto middleware.Config, so the file's policy
// semantics are exactly the middleware's.
package proxyconfig
