package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// pubSubClient is what probePubSub needs; go-redis clients have it.
type pubSubClient interface {
	Publish(ctx context.Context, channel string, message any) *redis.IntCmd
	Subscribe(ctx context.Context, channels ...string) *redis.PubSub
}

// probeTimeout bounds the SUBSCRIBE probe's wait for its answer, in case
// ctx has no deadline.
const probeTimeout = 5 * time.Second

// probePubSub publishes on and subscribes to a channel under prefix, as
// the scripts and Wait do. It returns the server's refusal (NOPERM), or
// another error when the probe could not be made, or nil.
func probePubSub(ctx context.Context, c pubSubClient, prefix string) error {
	// Braces like a record's key, so that it is a channel Wait could use.
	channel := prefix + "{idemproxy-check}"
	if err := c.Publish(ctx, channel, "").Err(); err != nil {
		return fmt.Errorf("PUBLISH %s: %w", channel, err)
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	ps := c.Subscribe(ctx)
	defer ps.Close()
	if err := ps.Subscribe(ctx, channel); err != nil {
		return fmt.Errorf("SUBSCRIBE %s: %w", channel, err)
	}
	msg, err := ps.Receive(ctx)
	if err != nil {
		return fmt.Errorf("SUBSCRIBE %s: %w", channel, err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return errors.New("SUBSCRIBE " + channel + ": unexpected answer " + fmt.Sprint(msg))
	}
	return nil
}
