package client_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/idemproxy/idemproxy/client"
)

// A POST through the transport gets a fresh key; the store behind the API
// is briefly unavailable (503, Retry-After), so the transport sends the
// request again with the same key, and the order is placed once.
func Example() {
	api := newOrderAPI(storeUnavailable)
	defer api.Close()

	c, err := client.NewClient(client.Config{})
	if err != nil {
		panic(err)
	}
	resp, err := c.Post(api.URL+"/orders", "application/json", strings.NewReader(`{"sku":"A"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	res := client.ResultOf(resp)
	fmt.Printf("%d %s", resp.StatusCode, body)
	fmt.Println("attempts:", res.Attempts, "replayed:", res.Replayed)
	fmt.Println("orders placed:", api.placed(), "keys used:", api.keys())
	// Output:
	// 201 {"order":1}
	// attempts: 2 replayed: false
	// orders placed: 1 keys used: 1
}

// A job that may run again (after a crash, or a deploy) makes its key once,
// keeps it with the job, and sends it with WithKey on every run: the second
// run gets the first run's result instead of a second order.
func ExampleWithKey() {
	api := newOrderAPI(nil)
	defer api.Close()
	c, err := client.NewClient(client.Config{})
	if err != nil {
		panic(err)
	}

	key := client.NewKey() // stored with the job before its first run
	for run := 1; run <= 2; run++ {
		ctx := client.WithKey(context.Background(), key)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api.URL+"/orders", strings.NewReader(`{"sku":"A"}`))
		resp, err := c.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("run %d: %d replayed=%v %s", run, resp.StatusCode, client.Replayed(resp), body)
	}
	fmt.Println("orders placed:", api.placed())
	// Output:
	// run 1: 201 replayed=false {"order":1}
	// run 2: 201 replayed=true {"order":1}
	// orders placed: 1
}

// A refusal is not retried; ResultOf tells its problem type, to branch on.
func ExampleResultOf() {
	api := newOrderAPI(nil)
	defer api.Close()
	c, err := client.NewClient(client.Config{})
	if err != nil {
		panic(err)
	}
	send := func(body string) {
		req, _ := http.NewRequest(http.MethodPost, api.URL+"/orders", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", "order-7")
		resp, err := c.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		res := client.ResultOf(resp)
		switch {
		case res.Problem.Type == client.ProblemKeyReused:
			fmt.Printf("%d after %d attempt: %s: use a new key for a new request\n", resp.StatusCode, res.Attempts, res.Problem.Title)
		default:
			fmt.Printf("%d after %d attempt\n", resp.StatusCode, res.Attempts)
		}
	}
	send(`{"sku":"A"}`)
	send(`{"sku":"B"}`) // the same key for another order
	// Output:
	// 201 after 1 attempt
	// 422 after 1 attempt: Idempotency key reused: use a new key for a new request
}

// With hashicorp/go-retryablehttp, which runs its own retry loop: stamp the
// key on the request before the loop, so that every attempt carries it,
// and let CheckRetry decide — go-retryablehttp's default would retry a
// POST's 500 and never a 409 in-progress.
func Example_retryablehttp() {
	api := newOrderAPI(inProgress)
	defer api.Close()

	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryWaitMin, rc.RetryWaitMax = time.Millisecond, 10*time.Millisecond
	rc.CheckRetry = client.CheckRetry

	req, err := retryablehttp.NewRequest(http.MethodPost, api.URL+"/orders", []byte(`{"sku":"A"}`))
	if err != nil {
		panic(err)
	}
	req.Header.Set(client.DefaultHeader, client.NewKey()) // outside their loop
	resp, err := rc.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s", resp.StatusCode, body)
	fmt.Println("attempts:", api.attempts(), "keys used:", api.keys(), "orders placed:", api.placed())
	// Output:
	// 201 {"order":1}
	// attempts: 2 keys used: 1 orders placed: 1
}
