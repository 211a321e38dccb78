// Package e2e holds the end-to-end tests of the idemproxy binary: they build
// cmd/idemproxy, cmd/orderapp and cmd/orderctl once, start real processes — redis-server,
// orderapp, idemproxy — on loopback ports the operating system picks, and
// prove the product's promises through HTTP alone: a replay returns the
// identical receipt, orderapp charged once and delivered one OrderPlaced; a
// changed body is 422; a duplicate in flight is 409; a missing key is 400; a
// declined payment's retry is 409; the proxy's /metrics counts each outcome;
// a SIGTERM during a request still records it; bad configurations exit
// non-zero naming the field; and the shipped dashboard and alert rules query
// only metrics a running proxy exports.
//
// The client side is proven the same way, with internal/faultproxy between
// package client and the proxy: a connection reset before the response is
// retried with the same key and replayed; a duplicate in flight waits out
// 409 in-progress; 503s while Redis is down are retried until it is back;
// and orderctl, run as a process, places, replays and reads orders against
// the -demo proxy and exits "refused" on a declined payment and its 409.
//
// Processes announce their bound address in their "listening" log line,
// which the tests read; nothing sleeps to wait for readiness, and every
// child is killed when its test ends.
package e2e
