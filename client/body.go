package client

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// body hands each attempt the request body again. Requests without a body
// and requests with GetBody are always rewindable; another body is read
// into memory up to a limit first, and a larger one is streamed once.
type body struct {
	req        *http.Request
	buf        []byte // the whole body, when buffered
	head       []byte // the first bytes of a body too large to buffer
	rewindable bool   // a later attempt can get the body again
	length     int64  // ContentLength of every attempt
}

// newBody prepares req's body. When retry is false (the request will be
// sent once whatever happens) nothing is read ahead. A read error closes
// req.Body, as a RoundTripper must.
func newBody(req *http.Request, retry bool, limit int64) (*body, error) {
	b := &body{req: req, rewindable: true, length: req.ContentLength}
	switch {
	case req.Body == nil || req.Body == http.NoBody || req.GetBody != nil:
		return b, nil
	case !retry || limit < 0 || req.ContentLength > limit:
		b.rewindable = false
		return b, nil
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		req.Body.Close()
		return nil, fmt.Errorf("client: reading the request body: %w", err)
	}
	if int64(len(data)) > limit {
		b.head, b.rewindable = data, false
		return b, nil
	}
	req.Body.Close()
	b.buf, b.length = data, int64(len(data))
	return b, nil
}

// attach gives attempt n (from 1) its body.
func (b *body) attach(r *http.Request, n int) error {
	r.ContentLength = b.length
	switch {
	case b.buf != nil && len(b.buf) == 0:
		r.Body = http.NoBody
		r.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	case b.buf != nil:
		r.Body = io.NopCloser(bytes.NewReader(b.buf))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.buf)), nil }
	case b.head != nil:
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b.head), b.req.Body), b.req.Body}
	case n > 1 && b.req.GetBody != nil:
		rc, err := b.req.GetBody()
		if err != nil {
			return fmt.Errorf("client: GetBody: %w", err)
		}
		r.Body = rc
	}
	return nil
}
